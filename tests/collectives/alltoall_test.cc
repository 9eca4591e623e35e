// SPDX-License-Identifier: Apache-2.0
// All-to-all on thread ranks: every datatype, rank count and awkward count, each block checked
// bitwise against its source and destination rank (all-to-all has no in-place form).
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/collectives/thread_cases.h"

using namespace weft::test;

namespace {
constexpr Shape kAllToAll{.ops = false, .rooted = false, .inPlace = false};
}  // namespace

TEST_CASE("alltoall: every datatype, small and awkward counts", "[alltoall]") {
  const int ranks = GENERATE(from_range(sweep({1, 2, 3, 4, 5, 8}, {1, 3, 4})));
  auto comms = weft::Comm::initAll(ranks);
  INFO("ranks=" << ranks);
  REQUIRE(runCases(comms, smallSweep(ranks, kAllToAll), checkAllToAll) == "");
}

TEST_CASE("alltoall: a million and three elements per block", "[alltoall]") {
  const int ranks = GENERATE(from_range(sweep({2, 3, 5, 8}, {3})));
  auto comms = weft::Comm::initAll(ranks);
  INFO("ranks=" << ranks);
  std::vector<Case> cases = {{weftUint8, weftSum, kBigCount, 0, false}};
  if (ranks <= 3) cases.push_back({weftFloat32, weftSum, kBigCount, 0, false});
  REQUIRE(runCases(comms, cases, checkAllToAll) == "");
}

TEST_CASE("alltoall: tiny slots force many rounds and full FIFOs", "[alltoall]") {
  auto comms = weft::test::initAllWith(GENERATE(from_range(sweep({2, 3, 4}, {3}))), weft::test::kTinySlots);
  const std::vector<Case> cases = {{weftFloat64, weftSum, 1, 0, false}, {weftInt8, weftSum, 1001, 0, false}};
  REQUIRE(runCases(comms, cases, checkAllToAll) == "");
}
