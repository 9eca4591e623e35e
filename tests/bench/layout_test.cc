// SPDX-License-Identifier: Apache-2.0
// Tests of the per-collective counts, buffer sizes and in-place offsets (nccl-tests' conventions, weft.h's in-place rules).
#include <catch2/catch.hpp>

#include <algorithm>
#include <cstddef>
#include <functional>

#include "bench/common/layout.h"

using namespace weft::bench;

TEST_CASE("a block is count / n rounded down to 16 bytes, as nccl-tests", "[bench][layout]") {
  CHECK(blockCount(8, 4, 3) == 0);        // 2 floats over 3 ranks
  CHECK(blockCount(64, 4, 3) == 4);       // 16 floats: 5 per rank, 4 make 16 bytes
  CHECK(blockCount(512, 4, 3) == 40);     // 42 -> 40
  CHECK(blockCount(64, 1, 3) == 16);      // 21 int8 -> 16
  CHECK(blockCount(64, 8, 3) == 2);       // 8 doubles: 2 per rank
  CHECK(blockCount(8, 4, 1) == 0);        // even one rank rounds (nccl-tests does too)
  CHECK(blockCount(32 << 20, 4, 8) == (32u << 20) / 4 / 8);
  CHECK(blockCount(1000, 2, 0) == 0);     // no ranks, no block
}

TEST_CASE("whole-size collectives use the size on both sides", "[bench][layout]") {
  const Layout l = wholeLayout(1000, 8);
  CHECK(l.count == 125);
  CHECK(l.sendCount == 125);
  CHECK(l.recvCount == 125);
  CHECK(l.sendInPlaceOffset == 0);
  CHECK(l.recvInPlaceOffset == 0);
  CHECK(l.rowElements() == 125);
  CHECK(wholeLayout(7, 4).count == 1);  // rounded down to whole elements
}

TEST_CASE("gather-like and scatter-like layouts mirror each other", "[bench][layout]") {
  const Layout ag = allGatherLayout(4096, 4, 3);  // 1024 floats: 341 -> 340 per rank
  CHECK(ag.count == 340);
  CHECK(ag.sendCount == 340);
  CHECK(ag.recvCount == 1020);
  CHECK(ag.sendInPlaceOffset == 340);
  CHECK(ag.recvInPlaceOffset == 0);
  CHECK(ag.rowElements() == 1020);  // the size column: 4080 bytes

  const Layout rs = reduceScatterLayout(4096, 4, 3);
  CHECK(rs.count == 340);
  CHECK(rs.sendCount == 1020);
  CHECK(rs.recvCount == 340);
  CHECK(rs.sendInPlaceOffset == 0);
  CHECK(rs.recvInPlaceOffset == 340);

  const Layout a2a = allToAllLayout(4096, 4, 3);
  CHECK(a2a.count == 340);
  CHECK(a2a.sendCount == 1020);
  CHECK(a2a.recvCount == 1020);

  const Layout g = gatherLayout(4096, 4, 3), s = scatterLayout(4096, 4, 3);
  CHECK(g.sendCount == ag.sendCount);
  CHECK(g.recvCount == ag.recvCount);
  CHECK(g.sendInPlaceOffset == ag.sendInPlaceOffset);
  CHECK(s.sendCount == rs.sendCount);
  CHECK(s.recvCount == rs.recvCount);
  CHECK(s.recvInPlaceOffset == rs.recvInPlaceOffset);
}

TEST_CASE("every layout fits the row's size and weft.h's in-place rule", "[bench][layout]") {
  using Fn = std::function<Layout(size_t, size_t, int)>;
  const Fn whole = [](size_t b, size_t e, int) { return wholeLayout(b, e); };
  const auto fn = GENERATE_COPY(Fn(whole), Fn(allGatherLayout), Fn(gatherLayout),
                                Fn(reduceScatterLayout), Fn(scatterLayout), Fn(allToAllLayout));
  const int n = GENERATE(1, 2, 3, 5, 8, 13);
  const size_t element = GENERATE(as<size_t>{}, 1, 2, 4, 8);
  for (size_t bytes : {size_t{0}, size_t{8}, size_t{64}, size_t{1000}, size_t{4096}, size_t{1} << 20}) {
    const Layout l = fn(bytes, element, n);
    // A row never needs more than -e bytes: the runner allocates that much once.
    CHECK(l.rowElements() * element <= bytes);
    CHECK(l.rowElements() == std::max(l.sendCount, l.recvCount));
    for (int r = 0; r < n; ++r) {
      const auto rank = static_cast<size_t>(r);
      const size_t send = l.sendInPlaceOffset * rank, recv = l.recvInPlaceOffset * rank;
      // In place, both regions lie inside the first rowElements() of the one buffer ...
      CHECK(send + l.sendCount <= l.rowElements());
      CHECK(recv + l.recvCount <= l.rowElements());
      // ... and are where weft.h wants them: the rank's block on the side that holds n blocks
      // (all-gather, gather: send == recv + r*count; reduce-scatter, scatter: recv == send +
      // r*count), or the same pointer when both sides are the same size.
      if (l.recvCount > l.sendCount) CHECK(send == recv + rank * l.count);
      if (l.sendCount > l.recvCount) CHECK(recv == send + rank * l.count);
      if (l.sendCount == l.recvCount) CHECK(send == recv);
    }
  }
}
