// SPDX-License-Identifier: Apache-2.0
// All-gather on thread ranks: every datatype, rank count and awkward sendcount, in place
// (sendbuff == recvbuff + rank*sendcount) and not, each block checked bitwise.
#include <catch2/catch.hpp>

#include <cstdlib>

#include "tests/collectives/thread_cases.h"

using namespace weft::test;

namespace {
constexpr Shape kAllGather{.ops = false, .rooted = false, .inPlace = true};
}  // namespace

TEST_CASE("allgather: every algorithm and datatype, small and awkward counts", "[allgather]") {
  const std::string algo = GENERATE("ring", "recursive_doubling", "bruck", "direct", "shared");
  const int ranks = GENERATE(from_range(sweep({1, 2, 3, 4, 5, 8}, {1, 3, 4})));
  auto comms = initWithAlgorithm("allgather:" + algo, ranks);
  INFO("algo=" << algo << " ranks=" << ranks);
  REQUIRE(runCases(comms, smallSweep(ranks, kAllGather), checkAllGather) == "");
}

TEST_CASE("allgather: a million and three elements per rank", "[allgather]") {
  const std::string algo = GENERATE("ring", "recursive_doubling", "bruck", "direct", "shared");
  const int ranks = GENERATE(from_range(sweep({2, 3, 5, 8}, {3})));
  auto comms = initWithAlgorithm("allgather:" + algo, ranks);
  INFO("algo=" << algo << " ranks=" << ranks);
  // Wide elements on small communicators, bytes on large ones: at most 16 MiB per rank.
  std::vector<Case> cases = {{weftInt8, weftSum, kBigCount, 0, false}, {weftUint8, weftSum, kBigCount, 0, true}};
  if (ranks <= 3) {
    cases.push_back({weftFloat32, weftSum, kBigCount, 0, false});
    cases.push_back({weftFloat64, weftSum, kBigCount, 0, true});
  }
  REQUIRE(runCases(comms, cases, checkAllGather) == "");
}

TEST_CASE("allgather: tiny slots force many rounds and full FIFOs", "[allgather]") {
  const std::string algo = GENERATE("ring", "recursive_doubling", "bruck", "direct", "shared");
  auto comms = initWithAlgorithm("allgather:" + algo, GENERATE(from_range(sweep({2, 3, 4, 5, 8}, {3}))), kTinySlots);
  const std::vector<Case> cases = {
      {weftFloat64, weftSum, 1, 0, false}, {weftInt8, weftSum, 17, 0, true}, {weftBfloat16, weftSum, 1001, 0, false}};
  REQUIRE(runCases(comms, cases, checkAllGather) == "");
}
