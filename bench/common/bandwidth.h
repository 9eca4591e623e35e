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
// Reduce is bound by the root receiving everything once.
inline double reduceBusFactor(int /*n*/) { return 1.0; }
// Send/recv: each rank sends the whole size over one link.
inline double sendRecvBusFactor(int /*n*/) { return 1.0; }
// All-gather, reduce-scatter, all-to-all, scatter and gather: the size (algbw's numerator) is all
// n blocks, of which n-1 cross a rank's link; one stays where it is.
inline double allGatherBusFactor(int n) { return static_cast<double>(n - 1) / n; }
inline double reduceScatterBusFactor(int n) { return allGatherBusFactor(n); }
inline double allToAllBusFactor(int n) { return allGatherBusFactor(n); }
inline double scatterBusFactor(int n) { return allGatherBusFactor(n); }
inline double gatherBusFactor(int n) { return allGatherBusFactor(n); }

}  // namespace weft::bench
