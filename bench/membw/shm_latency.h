// SPDX-License-Identifier: Apache-2.0
// membw's shared-memory one-way latency: two processes ping-pong a counter through one shared page.
#pragma once

#include <cstddef>
#include <optional>

namespace weft::bench::membw {

// Forks a child; parent and child pass a counter back and forth through two cache lines of a
// MAP_SHARED page, both spinning. After one untimed run of `trips` round trips, times `runs` runs
// of `trips` round trips and returns the median round trip / 2 in seconds. The child is always
// reaped before this returns. nullopt, with the cause on stderr, if the page or the child cannot
// be had or the child stops answering (10 s). Blocks for the whole measurement.
std::optional<double> shmOneWayLatency(size_t trips, int runs);

}  // namespace weft::bench::membw
