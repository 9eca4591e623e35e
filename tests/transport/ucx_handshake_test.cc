// SPDX-License-Identifier: Apache-2.0
// UCX links prove the job secret before any data moves (Note [UCX handshake]): ranks with the same
// secret finish set-up and exchange a message; a rank with another secret is refused by name.
#include <catch2/catch.hpp>

#include <cstring>
#include <exception>
#include <functional>
#include <thread>
#include <vector>

#include "common/auth.h"
#include "common/error.h"
#include "tests/transport/harness.h"
#include "transport/ucx/transport.h"

using namespace weft;
using transport::ucx::UcxOptions;
using transport::ucx::UcxTransport;

namespace {

UcxOptions options(int rank, const std::string& tag, const auth::Secret& secret) {
  UcxOptions o;
  o.rank = rank;
  o.nranks = 2;
  o.jobTag = tag;
  o.hostId = "one-host";
  o.acrossHosts = false;
  o.shmOnly = true;
  o.slotBytes = 4096;
  o.secret = secret;
  o.setupTimeoutSeconds = 5;
  return o;
}

// Sets up two ranks (threads), each with its secret, and runs `body` on each; returns each
// rank's error (null when none).
std::vector<std::exception_ptr> twoRanks(const auth::Secret& s0, const auth::Secret& s1,
                                         const std::function<void(int, std::vector<std::unique_ptr<transport::Endpoint>>&)>& body) {
  const std::string tag = weft::test::uniqueTag();
  UcxTransport t0(options(0, tag, s0)), t1(options(1, tag, s1));
  const std::vector<std::byte> blobs[2] = {t0.listen(), t1.listen()};
  UcxTransport* ts[2] = {&t0, &t1};
  std::vector<std::exception_ptr> errors(2);
  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      try {
        std::vector<std::unique_ptr<transport::Endpoint>> eps(2);
        eps[size_t(1 - r)] = ts[r]->connect(1 - r, blobs[1 - r]);
        ts[r]->finishSetup();
        body(r, eps);
      } catch (...) {
        errors[size_t(r)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  return errors;
}

}  // namespace

TEST_CASE("ucx: ranks with the same secret finish set-up and talk", "[transport][ucx]") {
  const auth::Secret secret = auth::derived("ucx_handshake_test");
  std::vector<int> got(2, -1);
  const auto errors = twoRanks(secret, secret, [&](int r, std::vector<std::unique_ptr<transport::Endpoint>>& eps) {
    transport::Endpoint& link = *eps[size_t(1 - r)];
    std::byte* slot = nullptr;
    while ((slot = link.trySendSlot()) == nullptr) {
    }
    const int mine = 100 + r;
    std::memcpy(slot, &mine, sizeof(mine));
    link.postSend(sizeof(mine), transport::Stamp{1, 2});
    size_t bytes = 0;
    const std::byte* in = nullptr;
    while ((in = link.tryRecvSlot(&bytes)) == nullptr) {
    }
    std::memcpy(&got[size_t(r)], in, sizeof(int));
    link.releaseRecv();
    while (!link.sendsDrained()) {
    }
  });
  for (const auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  CHECK(got[0] == 101);
  CHECK(got[1] == 100);
}

TEST_CASE("ucx: ranks with different job secrets refuse each other by name", "[transport][ucx]") {
  const auto errors = twoRanks(auth::derived("this job"), auth::derived("another job"),
                               [](int, std::vector<std::unique_ptr<transport::Endpoint>>&) {});
  for (int r = 0; r < 2; ++r) {
    INFO("rank " << r);
    REQUIRE(errors[size_t(r)]);
    CHECK_THROWS_AS(std::rethrow_exception(errors[size_t(r)]), RemoteError);
    CHECK_THROWS_WITH(std::rethrow_exception(errors[size_t(r)]),
                      Catch::Contains("rank " + std::to_string(1 - r) + " does not know the job secret"));
  }
}
