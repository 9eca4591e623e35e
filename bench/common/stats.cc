// SPDX-License-Identifier: Apache-2.0
// Nearest-rank percentiles over the per-iteration times of one measurement.
#include "bench/common/stats.h"

#include <algorithm>
#include <stdexcept>

namespace weft::bench {

double percentile(const std::vector<double>& sorted, int pct) {
  if (sorted.empty()) throw std::invalid_argument("percentile of no samples");
  if (pct < 0 || pct > 100) throw std::invalid_argument("percentile outside 0..100");
  // ceil(pct * n / 100) in integers, so that p99 of 100 samples is exactly the 99th.
  const size_t n = sorted.size();
  const size_t rank = (static_cast<size_t>(pct) * n + 99) / 100;
  return sorted[rank == 0 ? 0 : rank - 1];
}

IterationStats summarize(std::vector<double> samples) {
  if (samples.empty()) throw std::invalid_argument("statistics of no samples");
  std::sort(samples.begin(), samples.end());
  return {.min = samples.front(),
          .p50 = percentile(samples, 50),
          .p99 = percentile(samples, 99),
          .max = samples.back()};
}

}  // namespace weft::bench
