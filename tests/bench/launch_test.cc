// SPDX-License-Identifier: Apache-2.0
// Tests of how the perf tools choose between process ranks and thread ranks.
#include <catch2/catch.hpp>

#include "bench/common/flags.h"
#include "bench/common/launch.h"

using namespace weft::bench;

TEST_CASE("no launcher: -t ranks as threads", "[bench][launch]") {
  const Launch one = chooseLaunch(1, 1);
  CHECK_FALSE(one.fromEnv);
  CHECK(one.threads == 1);
  const Launch four = chooseLaunch(4, 1);
  CHECK_FALSE(four.fromEnv);
  CHECK(four.threads == 4);
}

TEST_CASE("under a launcher one rank per process", "[bench][launch]") {
  CHECK(chooseLaunch(1, 4).fromEnv);
  CHECK(chooseLaunch(1, 2).fromEnv);
}

TEST_CASE("-t in a job of several processes is refused", "[bench][launch]") {
  CHECK_THROWS_WITH(chooseLaunch(4, 4), Catch::Matchers::Contains("4 ranks") &&
                                            Catch::Matchers::Contains("-t 4"));
  CHECK_THROWS_AS(chooseLaunch(2, 8), FlagError);
}
