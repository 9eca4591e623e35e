// SPDX-License-Identifier: Apache-2.0
// Algorithm and bus bandwidth, as nccl-tests defines them (see docs/bench.md).
#pragma once

#include <cstddef>

namespace weft::bench {

// Bytes moved per second as the caller sees it, in GB/s (10^9 bytes): size / time.
inline double algBandwidth(size_t bytes, double seconds) {
  return static_cast<double>(bytes) / 1.0e9 / seconds;
}

// The factors that turn algbw into busbw, the per-link rate a collective needs so that the
// number can be compared with the hardware's peak whatever the number of ranks n.
// All-reduce moves each element 2(n-1) times over n links.
inline double allReduceBusFactor(int n) { return 2.0 * (n - 1) / n; }
// Broadcast is bound by the root sending everything once.
inline double broadcastBusFactor(int /*n*/) { return 1.0; }

}  // namespace weft::bench
