// SPDX-License-Identifier: Apache-2.0
// Scatter and gather on thread ranks: every datatype, root, rank count and awkward count, in
// place on the root and not, with NULL for the buffer that only the root uses.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/collectives/thread_cases.h"

using namespace weft::test;

namespace {
constexpr Shape kRooted{.ops = false, .rooted = true, .inPlace = true};
}  // namespace

TEST_CASE("scatter: every algorithm, datatype and root, small and awkward counts", "[scatter]") {
  const std::string algo = GENERATE("linear", "tree");
  const int ranks = GENERATE(from_range(sweep({1, 2, 3, 4, 5, 8}, {1, 3, 4})));
  auto comms = initWithAlgorithm("scatter:" + algo, ranks);
  INFO("algo=" << algo << " ranks=" << ranks);
  REQUIRE(runCases(comms, smallSweep(ranks, kRooted), checkScatter) == "");
}

TEST_CASE("gather: every algorithm, datatype and root, small and awkward counts", "[gather]") {
  const std::string algo = GENERATE("linear", "tree");
  const int ranks = GENERATE(from_range(sweep({1, 2, 3, 4, 5, 8}, {1, 3, 4})));
  auto comms = initWithAlgorithm("gather:" + algo, ranks);
  INFO("algo=" << algo << " ranks=" << ranks);
  REQUIRE(runCases(comms, smallSweep(ranks, kRooted), checkGather) == "");
}

TEST_CASE("scatter and gather: a million and three elements per block", "[scatter][gather]") {
  const std::string algo = GENERATE("linear", "tree");
  const int ranks = GENERATE(from_range(sweep({2, 3, 5, 8}, {3})));
  auto comms = initWithAlgorithm("scatter:" + algo + ";gather:" + algo, ranks);
  INFO("algo=" << algo << " ranks=" << ranks);
  const std::vector<Case> cases = {{weftUint8, weftSum, kBigCount, ranks - 1, false},
                                   {weftFloat32, weftSum, kBigCount, 0, true}};
  REQUIRE(runCases(comms, cases, checkScatter) == "");
  REQUIRE(runCases(comms, cases, checkGather) == "");
}

TEST_CASE("scatter and gather: tiny slots force many rounds and full FIFOs", "[scatter][gather]") {
  const std::string algo = GENERATE("linear", "tree");
  const int ranks = GENERATE(from_range(sweep({2, 3, 4, 5, 8}, {3})));
  auto comms = initWithAlgorithm("scatter:" + algo + ";gather:" + algo, ranks, kTinySlots);
  const std::vector<Case> cases = {{weftFloat64, weftSum, 1, 1, false}, {weftInt8, weftSum, 1001, 0, true},
                                   {weftFloat16, weftSum, 77, ranks - 1, true}};
  REQUIRE(runCases(comms, cases, checkScatter) == "");
  REQUIRE(runCases(comms, cases, checkGather) == "");
}
