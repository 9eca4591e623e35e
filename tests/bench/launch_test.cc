// SPDX-License-Identifier: Apache-2.0
// Tests of how the perf tools choose between process ranks and thread ranks.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "bench/common/flags.h"
#include "bench/common/launch.h"

using namespace weft::bench;

namespace {

EnvLookup envOf(const std::map<std::string, std::string>& vars) {
  return [vars](const char* name) -> const char* {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  };
}

}  // namespace

TEST_CASE("no launcher: -t ranks as threads", "[bench][launch]") {
  const Launch one = chooseLaunch(1, envOf({}));
  CHECK_FALSE(one.fromEnv);
  CHECK(one.threads == 1);
  const Launch four = chooseLaunch(4, envOf({{"HOME", "/root"}}));
  CHECK_FALSE(four.fromEnv);
  CHECK(four.threads == 4);
}

TEST_CASE("under a launcher one rank per process", "[bench][launch]") {
  CHECK(chooseLaunch(1, envOf({{"WORLD_SIZE", "4"}, {"RANK", "2"}})).fromEnv);
  CHECK(chooseLaunch(1, envOf({{"WEFT_INIT", "tcp://127.0.0.1:29500"}})).fromEnv);
  CHECK(chooseLaunch(1, envOf({{"OMPI_COMM_WORLD_SIZE", "2"}})).fromEnv);
  CHECK(chooseLaunch(1, envOf({{"SLURM_NTASKS", "8"}})).fromEnv);
}

TEST_CASE("-t in a job of one process runs threads; in a bigger job it is refused",
          "[bench][launch]") {
  const Launch single = chooseLaunch(4, envOf({{"WORLD_SIZE", "1"}}));
  CHECK_FALSE(single.fromEnv);
  CHECK(single.threads == 4);
  CHECK_THROWS_WITH(chooseLaunch(4, envOf({{"WORLD_SIZE", "4"}})),
                    Catch::Matchers::Contains("WORLD_SIZE=4") &&
                        Catch::Matchers::Contains("-t 4"));
  CHECK_THROWS_AS(chooseLaunch(2, envOf({{"WEFT_INIT", "file:///tmp/x"}})), FlagError);
}
