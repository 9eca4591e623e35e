// SPDX-License-Identifier: Apache-2.0
// Barrier on thread ranks: no rank leaves a barrier before every rank has entered it, many
// times over, with a late rank each round.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "tests/collectives/thread_cases.h"

using namespace weft::test;

TEST_CASE("barrier: every rank has arrived before any rank leaves", "[barrier]") {
  const int ranks = GENERATE(1, 2, 3, 4, 5, 8);
  auto comms = weft::Comm::initAll(ranks);
  constexpr int kRounds = 300;
  // arrived[r] is the last round rank r entered the barrier of.
  auto arrived = std::make_unique<std::atomic<int>[]>(size_t(ranks));
  for (int r = 0; r < ranks; ++r) arrived[size_t(r)].store(-1);
  std::vector<std::string> errors(static_cast<size_t>(ranks));
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    for (int round = 0; round < kRounds; ++round) {
      // One rank per round comes late, so that a barrier that does not wait would be caught.
      if (round % ranks == rank && round % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(300));
      arrived[size_t(rank)].store(round, std::memory_order_release);
      comm.barrier();
      for (int r = 0; r < ranks; ++r) {
        // Every rank has entered this round's barrier; none can be past the next one, which
        // needs this rank too.
        const int seen = arrived[size_t(r)].load(std::memory_order_acquire);
        if ((seen != round && seen != round + 1) && errors[size_t(rank)].empty()) {
          errors[size_t(rank)] = "round " + std::to_string(round) + ": rank " + std::to_string(rank) +
                                 " left the barrier while rank " + std::to_string(r) + " was at round " +
                                 std::to_string(seen);
        }
      }
    }
  });
  INFO("ranks=" << ranks);
  for (auto& e : errors) CHECK(e == "");
}

TEST_CASE("barrier: interleaved with collectives on the same communicator", "[barrier]") {
  const int ranks = GENERATE(2, 3, 5);
  auto comms = weft::Comm::initAll(ranks);
  std::vector<std::string> errors(static_cast<size_t>(ranks));
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    for (int round = 0; round < 20; ++round) {
      comm.barrier();
      const Case c{kAllTypes[size_t(round) % 10], weftSum, size_t(round) * 37, round % ranks, round % 2 == 1};
      std::string err = round % 2 ? checkGather(comm, c) : checkAllGather(comm, c);
      comm.barrier();
      if (errors[size_t(rank)].empty()) errors[size_t(rank)] = err;
    }
  });
  INFO("ranks=" << ranks);
  for (auto& e : errors) CHECK(e == "");
}
