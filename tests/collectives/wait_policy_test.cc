// SPDX-License-Identifier: Apache-2.0
// The wait policy under oversubscription: collectives whose every wait sleeps (no spinning, no
// yielding) stay correct and finish, over the armed doorbells of Note [Doorbells]; and the
// doorbell itself rings only an armed waiter.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/ranks.h"
#include "transport/shm/fifo.h"

namespace {

// Each rank contributes rank + 1 + i; every element of the sum is n(n+1)/2 + n*i.
std::string sumRounds(std::vector<weft::Comm>& comms, size_t count, int rounds) {
  const int n = int(comms.size());
  std::vector<std::string> errors(comms.size());
  weft::test::onEachRank(comms, [&](weft::Comm& c, int rank) {
    std::vector<double> send(count), recv(count);
    for (int k = 0; k < rounds && errors[size_t(rank)].empty(); ++k) {
      for (size_t i = 0; i < count; ++i) send[i] = double(rank + 1 + k) + double(i);
      c.allReduce(send.data(), recv.data(), count, weftFloat64, weftSum);
      for (size_t i = 0; i < count; ++i) {
        const double want = double(n) * (n + 1) / 2 + double(n) * (k + double(i));
        if (recv[i] != want) {
          errors[size_t(rank)] = "round " + std::to_string(k) + " element " + std::to_string(i) + ": got " +
                                 std::to_string(recv[i]) + ", want " + std::to_string(want);
          break;
        }
      }
    }
  });
  for (auto& e : errors) {
    if (!e.empty()) return e;
  }
  return {};
}

}  // namespace

TEST_CASE("wait policy: with every wait a futex sleep, collectives stay correct and finish", "[wait]") {
  const std::string algo = GENERATE("recursive_doubling", "ring", "direct");
  const int ranks = GENERATE(2, 5, 8);
  INFO(algo << " at " << ranks << " ranks");
  auto comms = weft::test::initAllWith(
      ranks, {{"WEFT_SPIN_US", "0"}, {"WEFT_YIELD_COUNT", "0"}, {"WEFT_ALGO", "allreduce:" + algo}, {"WEFT_TIMEOUT", "60"}});
  REQUIRE(sumRounds(comms, 1, 300) == "");
  REQUIRE(sumRounds(comms, 20000, 10) == "");  // several chunks per call
}

TEST_CASE("wait policy: spinning ranks, many more than cores, stay correct", "[wait]") {
  auto comms = weft::test::initAllWith(8, {{"WEFT_SPIN_US", "50"}, {"WEFT_YIELD_COUNT", "2"}});
  REQUIRE(sumRounds(comms, 3, 200) == "");
}

TEST_CASE("doorbell: a post costs the waiter nothing unless it is armed", "[wait]") {
  weft::transport::shm::Doorbell bell;
  bell.ring();
  CHECK(bell.seq.load() == 0);  // nobody armed: no increment, no wake-up
  bell.sleepers.fetch_add(1);
  bell.ring();
  CHECK(bell.seq.load() == 1);  // armed: the token moves, so a sleep on the old one ends
  bell.sleepers.fetch_sub(1);
  bell.ring();
  CHECK(bell.seq.load() == 1);
}
