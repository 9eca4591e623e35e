// SPDX-License-Identifier: Apache-2.0
// Collectives that cannot complete end in a named error, never a hang; the communicator then
// refuses further calls.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "tests/support/ranks.h"

TEST_CASE("a rank that never joins the collective gives its peer a timeout naming it", "[failure]") {
  auto comms = weft::test::initAllWith(2, {{"WEFT_TIMEOUT", "0.5"}});
  std::vector<float> buf(1000, 1.0f);
  const auto start = std::chrono::steady_clock::now();
  const weftResult_t r = weftAllReduce(buf.data(), buf.data(), buf.size(), weftFloat32, weftSum,
                                       comms[0].get(), nullptr);
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  REQUIRE(r == weftTimeout);
  const std::string msg = weftGetLastError(nullptr);
  CHECK(msg.find("allreduce #1") != std::string::npos);
  CHECK(msg.find("rank 1") != std::string::npos);
  CHECK(took < 5);
  // The half-done collective left the links unusable: later calls are refused, not garbled.
  REQUIRE(weftAllReduce(buf.data(), buf.data(), buf.size(), weftFloat32, weftSum, comms[0].get(),
                        nullptr) == weftInvalidUsage);
}

TEST_CASE("a rank that gives up tells its peers: all that wait on it, directly or not, fail at once naming it",
          "[failure]") {
  // Note [Failure notices]. With WEFT_TIMEOUT at 30 s only the notices can end the others' waits
  // in time: thread ranks have no process to exit. WEFT_CHECK=0 must not read a notice as data.
  const std::string check = GENERATE("1", "0");
  const int n = GENERATE(3, 5);
  const int quitter = 1;
  auto comms = weft::test::initAllWith(n, {{"WEFT_TIMEOUT", "30"}, {"WEFT_CHECK", check}, {"WEFT_ALGO", "allreduce:ring"}});
  std::vector<weftResult_t> codes(static_cast<size_t>(n), weftSuccess);
  std::vector<std::string> messages(static_cast<size_t>(n));
  std::vector<double> took(static_cast<size_t>(n));
  weft::test::onEachRank(comms, [&](weft::Comm& c, int rank) {
    if (rank == quitter) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
      c.abort();
      return;
    }
    std::vector<float> buf(1 << 16, 1.0f);
    const auto start = std::chrono::steady_clock::now();
    codes[size_t(rank)] = weftAllReduce(buf.data(), buf.data(), buf.size(), weftFloat32, weftSum, c.get(), nullptr);
    took[size_t(rank)] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (codes[size_t(rank)] != weftSuccess) messages[size_t(rank)] = weftGetLastError(nullptr);
  });
  for (int r = 0; r < n; ++r) {
    if (r == quitter) continue;
    INFO("WEFT_CHECK=" << check << ", rank " << r << " of " << n << " after " << took[size_t(r)] << " s: " << messages[size_t(r)]);
    CHECK(codes[size_t(r)] == weftInvalidUsage);  // the code of the first failure: an abort
    // The quitter is the first rank named, as the one that gave up or as the culprit another
    // rank reports; the abort's own message is quoted.
    CHECK((messages[size_t(r)].find("weftAllReduce: rank 1 gave up on this communicator while rank " +
                                    std::to_string(r) + " was in allreduce(count=65536, float, sum)") == 0 ||
           messages[size_t(r)].find("weftAllReduce: rank 1 failed, as rank ") == 0));
    CHECK_THAT(messages[size_t(r)], Catch::Contains("aborted"));
    CHECK(took[size_t(r)] < 10);
  }
}
