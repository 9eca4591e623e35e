// SPDX-License-Identifier: Apache-2.0
// Reduce on thread ranks: every datatype, op, root, rank count and awkward count, in place and
// not, against exact expected values, with NULL recvbuff off the root.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/collectives/thread_cases.h"

using namespace weft::test;

namespace {
constexpr Shape kReduce{.ops = true, .rooted = true, .inPlace = true};
}  // namespace

TEST_CASE("reduce: every algorithm, datatype and op, small and awkward counts, every root", "[reduce]") {
  const std::string algo = GENERATE("chain", "tree");
  const int ranks = GENERATE(from_range(sweep({1, 2, 3, 4, 5, 8}, {1, 3, 4})));
  auto comms = initWithAlgorithm("reduce:" + algo, ranks);
  INFO("algo=" << algo << " ranks=" << ranks);
  REQUIRE(runCases(comms, smallSweep(ranks, kReduce), checkReduce) == "");
}

TEST_CASE("reduce: a million and three elements, pipelined over many chunks", "[reduce]") {
  const std::string algo = GENERATE("chain", "tree");
  const int ranks = GENERATE(from_range(sweep({2, 3, 5, 8}, {3})));
  auto comms = initWithAlgorithm("reduce:" + algo, ranks);
  INFO("algo=" << algo << " ranks=" << ranks);
  const std::vector<Case> cases = {
      {weftFloat32, weftSum, kBigCount, ranks - 1, false},
      {weftInt64, weftMax, kBigCount, 0, true},
      {weftBfloat16, weftAvg, kBigCount, 1, false},
  };
  REQUIRE(runCases(comms, cases, checkReduce) == "");
}

TEST_CASE("reduce: tiny slots force many rounds and full FIFOs", "[reduce]") {
  const std::string algo = GENERATE("chain", "tree");
  auto comms = initWithAlgorithm("reduce:" + algo, GENERATE(from_range(sweep({2, 3, 4, 5, 8}, {3}))), kTinySlots);
  const std::vector<Case> cases = {
      {weftFloat64, weftSum, 1, 0, false}, {weftInt8, weftMax, 17, 1, true}, {weftUint32, weftProd, 1001, 1, false}};
  REQUIRE(runCases(comms, cases, checkReduce) == "");
}
