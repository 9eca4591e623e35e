// SPDX-License-Identifier: Apache-2.0
// Per-iteration time statistics of the perf tools' -s option: min, median, 99th percentile and max.
#pragma once

#include <vector>

namespace weft::bench {

// Summary of one measurement's per-iteration times, in the unit of the samples.
struct IterationStats {
  double min = 0;
  double p50 = 0;
  double p99 = 0;
  double max = 0;
};

// The nearest-rank percentile of `sorted` (ascending, not empty): the smallest sample that at
// least pct percent of the samples are at most, i.e. sorted[ceil(pct * n / 100) - 1], and
// sorted[0] for pct 0. Always one of the samples, never an interpolation. pct is 0 to 100.
// Throws std::invalid_argument for an empty vector or a pct outside 0..100.
double percentile(const std::vector<double>& sorted, int pct);

// min, p50, p99 and max of samples (any order, not empty; throws std::invalid_argument if empty).
IterationStats summarize(std::vector<double> samples);

}  // namespace weft::bench
