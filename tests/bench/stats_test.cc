// SPDX-License-Identifier: Apache-2.0
// Tests of the -s statistics: nearest-rank percentiles and the min/p50/p99/max summary.
#include <catch2/catch.hpp>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <vector>

#include "bench/common/stats.h"

using namespace weft::bench;

namespace {

// 1, 2, ..., n.
std::vector<double> ramp(size_t n) {
  std::vector<double> v(n);
  std::iota(v.begin(), v.end(), 1.0);
  return v;
}

}  // namespace

TEST_CASE("percentiles are nearest-rank", "[bench][stats]") {
  const auto v100 = ramp(100);
  CHECK(percentile(v100, 0) == 1);
  CHECK(percentile(v100, 1) == 1);
  CHECK(percentile(v100, 50) == 50);
  CHECK(percentile(v100, 99) == 99);  // exactly the 99th, no floating-point slip to the 100th
  CHECK(percentile(v100, 100) == 100);

  const auto v20 = ramp(20);  // the default -n
  CHECK(percentile(v20, 50) == 10);
  CHECK(percentile(v20, 99) == 20);  // ceil(19.8) = 20: with few samples p99 is the max

  const auto v4 = ramp(4);
  CHECK(percentile(v4, 50) == 2);  // the lower middle: a sample, not the 2.5 interpolation
  CHECK(percentile(v4, 51) == 3);
  CHECK(percentile(v4, 25) == 1);
  CHECK(percentile(v4, 26) == 2);

  const std::vector<double> one = {7.5};
  for (int pct : {0, 50, 99, 100}) CHECK(percentile(one, pct) == 7.5);

  const auto v1000 = ramp(1000);
  CHECK(percentile(v1000, 99) == 990);
  CHECK(percentile(v1000, 50) == 500);
}

TEST_CASE("percentile refuses what it cannot answer", "[bench][stats]") {
  CHECK_THROWS_AS(percentile({}, 50), std::invalid_argument);
  CHECK_THROWS_AS(percentile({1.0}, -1), std::invalid_argument);
  CHECK_THROWS_AS(percentile({1.0}, 101), std::invalid_argument);
  CHECK_THROWS_AS(summarize({}), std::invalid_argument);
}

TEST_CASE("summaries sort their samples first", "[bench][stats]") {
  std::vector<double> samples = ramp(200);
  std::reverse(samples.begin(), samples.end());
  std::rotate(samples.begin(), samples.begin() + 37, samples.end());
  const IterationStats s = summarize(samples);
  CHECK(s.min == 1);
  CHECK(s.p50 == 100);
  CHECK(s.p99 == 198);
  CHECK(s.max == 200);

  // One slow outlier among 20 iterations shows in p99 and max, not in p50.
  std::vector<double> laps(20, 10.0);
  laps[7] = 500.0;
  const IterationStats t = summarize(laps);
  CHECK(t.min == 10.0);
  CHECK(t.p50 == 10.0);
  CHECK(t.p99 == 500.0);
  CHECK(t.max == 500.0);
}
