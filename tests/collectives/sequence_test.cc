// SPDX-License-Identifier: Apache-2.0
// Every newer collective in turn on one communicator, with no barrier between calls and sizes
// alternating between eager and larger-than-FIFO, so that a fast rank's next call meets a slow
// rank's previous one in the same links.
#include <catch2/catch.hpp>

#include <string>

#include "tests/collectives/thread_cases.h"

using namespace weft::test;

TEST_CASE("sequence: the newer collectives back to back, small and large, every root", "[sequence]") {
  const int ranks = GENERATE(from_range(sweep({2, 3, 5, 8}, {3})));
  auto comms = weft::Comm::initAll(ranks);
  const CheckFn checks[] = {checkReduce, checkAllGather, checkReduceScatter, checkAllToAll,
                            checkScatter, checkGather, checkSendRecvRing};
  std::vector<std::string> errors(static_cast<size_t>(ranks));
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    size_t turn = 0;
    for (int root = 0; root < ranks; ++root) {
      for (size_t count : {size_t(3), size_t(200003), size_t(1)}) {
        for (CheckFn check : checks) {
          const Case c{kAllTypes[turn % 10], kAllOps[(turn / 3) % 5], count, root, turn % 2 == 1};
          ++turn;
          std::string err = check(comm, c);
          if (errors[size_t(rank)].empty()) errors[size_t(rank)] = err;
        }
      }
    }
  });
  INFO("ranks=" << ranks);
  for (auto& e : errors) CHECK(e == "");
}
