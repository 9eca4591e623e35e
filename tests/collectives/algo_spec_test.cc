// SPDX-License-Identifier: Apache-2.0
// WEFT_ALGO parsing: kinds, ranges, bare names, and clear refusals.
#include <catch2/catch.hpp>

#include "collectives/algo_spec.h"
#include "common/error.h"

using weft::coll::AlgoSpec;
using weft::coll::CollKind;

TEST_CASE("WEFT_ALGO: kinds and size ranges", "[algo]") {
  const auto s = AlgoSpec::parse("broadcast:0-64K=tree,64K-inf=chain;allreduce:*=ring");
  CHECK(s.forced(CollKind::Broadcast, 0) == "tree");
  CHECK(s.forced(CollKind::Broadcast, 65535) == "tree");
  CHECK(s.forced(CollKind::Broadcast, 65536) == "chain");
  CHECK(s.forced(CollKind::AllReduce, 1u << 30) == "ring");
  CHECK(s.forced(CollKind::Reduce, 8).empty());
}

TEST_CASE("WEFT_ALGO: bare names apply where the name exists, the last match wins", "[algo]") {
  const auto s = AlgoSpec::parse("ring");
  CHECK(s.forced(CollKind::AllGather, 10) == "ring");
  CHECK(s.forced(CollKind::Broadcast, 10).empty());
  const auto t = AlgoSpec::parse("broadcast:chain,broadcast:1M-2M=tree");
  CHECK(t.forced(CollKind::Broadcast, 1u << 20) == "tree");
  CHECK(t.forced(CollKind::Broadcast, 3u << 20) == "chain");
  CHECK(AlgoSpec::parse("").forced(CollKind::AllReduce, 1).empty());
}

TEST_CASE("WEFT_ALGO: malformed values are refused, naming the part", "[algo]") {
  CHECK_THROWS_WITH(AlgoSpec::parse("bogus"), Catch::Contains("'bogus' names no algorithm"));
  CHECK_THROWS_WITH(AlgoSpec::parse("allreduce:chain"), Catch::Contains("no algorithm of allreduce"));
  CHECK_THROWS_WITH(AlgoSpec::parse("nothing:ring"), Catch::Contains("does not start with a collective"));
  CHECK_THROWS_WITH(AlgoSpec::parse("allreduce:64K-1K=ring"), Catch::Contains("size range"));
  CHECK_THROWS_WITH(AlgoSpec::parse("allreduce:x-1K=ring"), Catch::Contains("size range"));
  CHECK_THROWS_AS(AlgoSpec::parse("allreduce:10=ring"), weft::InvalidArgument);
}
