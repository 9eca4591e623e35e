// SPDX-License-Identifier: Apache-2.0
// weftCommSplit: colors, keys, opting out, nesting, and collectives on parent and children.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/ranks.h"

TEST_CASE("split by color orders ranks by key and the children all-reduce independently", "[split]") {
  const int n = GENERATE(1, 2, 5, 8);
  auto comms = weft::Comm::initAll(n);
  std::vector<std::string> errors(static_cast<size_t>(n));
  weft::test::onEachRank(comms, [&](weft::Comm& parent, int rank) {
    // Colors by parity, keys reversed: the child's rank order is the reverse of the parent's.
    weft::Comm child = parent.split(rank % 2, n - rank);
    const int members = (n + 1 - rank % 2) / 2;
    const int expectedRank = members - 1 - rank / 2;
    if (child.size() != members || child.rank() != expectedRank) {
      errors[size_t(rank)] = "rank " + std::to_string(rank) + " got rank " + std::to_string(child.rank()) +
                             " of " + std::to_string(child.size());
      return;
    }
    // Children and parent interleave: sum of parent ranks within the color, then over all.
    for (int round = 0; round < 3; ++round) {
      int64_t v = rank;
      child.allReduce(&v, &v, 1, weftInt64, weftSum);
      int64_t want = 0;
      for (int r = rank % 2; r < n; r += 2) want += r;
      int64_t all = rank;
      parent.allReduce(&all, &all, 1, weftInt64, weftSum);
      if (v != want || all != int64_t(n) * (n - 1) / 2) errors[size_t(rank)] = "wrong sums";
    }
  });
  for (auto& e : errors) REQUIRE(e == "");
}

TEST_CASE("a negative color opts out; nested splits work", "[split]") {
  auto comms = weft::Comm::initAll(6);
  std::vector<std::string> errors(6);
  weft::test::onEachRank(comms, [&](weft::Comm& parent, int rank) {
    weft::Comm child = parent.split(rank == 0 ? WEFT_SPLIT_NOCOLOR : 7, rank);
    if (rank == 0) {
      if (child.get() != nullptr) errors[0] = "rank 0 opted out but got a communicator";
      return;
    }
    if (child.size() != 5 || child.rank() != rank - 1) errors[size_t(rank)] = "bad child";
    weft::Comm grandchild = child.split(child.rank() < 2 ? 0 : 1, 0);  // {1,2} and {3,4,5}
    float x = 1.0f;
    grandchild.allReduce(&x, &x, 1, weftFloat32, weftSum);
    if (x != float(grandchild.size()) || grandchild.size() != (rank <= 2 ? 2 : 3)) {
      errors[size_t(rank)] = "bad grandchild";
    }
    std::vector<int32_t> all(5);
    const int32_t me = rank;
    child.allGather(&me, all.data(), 1, weftInt32);
    for (int i = 0; i < 5; ++i) {
      if (all[size_t(i)] != i + 1) errors[size_t(rank)] = "bad allgather on the child";
    }
  });
  for (auto& e : errors) REQUIRE(e == "");
}

TEST_CASE("split refuses a NULL out-pointer and a destroyed communicator", "[split]") {
  auto comms = weft::Comm::initAll(1);
  CHECK(weftCommSplit(comms[0].get(), 0, 0, nullptr) == weftInvalidArgument);
  weftComm_t c = comms[0].get();
  comms.clear();
  weftComm_t out = nullptr;
  CHECK(weftCommSplit(c, 0, 0, &out) == weftInvalidArgument);
}
