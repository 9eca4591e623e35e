// SPDX-License-Identifier: Apache-2.0
// Reduce-scatter on thread ranks: every datatype, op, rank count and awkward recvcount, in place
// (recvbuff == sendbuff + rank*recvcount) and not, against exact expected values.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/collectives/thread_cases.h"

using namespace weft::test;

namespace {
constexpr Shape kReduceScatter{.ops = true, .rooted = false, .inPlace = true};
}  // namespace

TEST_CASE("reducescatter: every algorithm, datatype and op, small and awkward counts", "[reducescatter]") {
  const std::string algo = GENERATE("ring", "recursive_halving");
  const int ranks = GENERATE(from_range(sweep({1, 2, 3, 4, 5, 8}, {1, 3, 4})));
  auto comms = initWithAlgorithm("reducescatter:" + algo, ranks);
  INFO("algo=" << algo << " ranks=" << ranks);
  REQUIRE(runCases(comms, smallSweep(ranks, kReduceScatter), checkReduceScatter) == "");
}

TEST_CASE("reducescatter: a million and three elements per rank", "[reducescatter]") {
  const std::string algo = GENERATE("ring", "recursive_halving");
  const int ranks = GENERATE(from_range(sweep({2, 3, 4, 5}, {3})));
  auto comms = initWithAlgorithm("reducescatter:" + algo, ranks);
  INFO("algo=" << algo << " ranks=" << ranks);
  const std::vector<Case> cases = {
      {weftFloat32, weftSum, kBigCount, 0, false},
      {weftInt32, weftMin, kBigCount, 0, true},
      {weftFloat16, weftProd, kBigCount, 0, true},
  };
  REQUIRE(runCases(comms, cases, checkReduceScatter) == "");
}

TEST_CASE("reducescatter: tiny slots force many rounds and full FIFOs", "[reducescatter]") {
  const std::string algo = GENERATE("ring", "recursive_halving");
  auto comms = initWithAlgorithm("reducescatter:" + algo, GENERATE(from_range(sweep({2, 3, 4, 5, 8}, {3}))), kTinySlots);
  const std::vector<Case> cases = {
      {weftFloat64, weftSum, 1, 0, false}, {weftInt8, weftMax, 17, 0, true}, {weftUint64, weftAvg, 1001, 0, false}};
  REQUIRE(runCases(comms, cases, checkReduceScatter) == "");
}
