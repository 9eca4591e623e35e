// SPDX-License-Identifier: Apache-2.0
// Collectives that cannot complete end in a named error, never a hang; the communicator then
// refuses further calls.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <string>

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
