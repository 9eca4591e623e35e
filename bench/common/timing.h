// SPDX-License-Identifier: Apache-2.0
// A monotonic stopwatch for the perf tools' timed loops.
#pragma once

#include <chrono>

namespace weft::bench {

// Starts on construction; reentrant (one per thread).
class Stopwatch {
 public:
  Stopwatch() : start_(Clock::now()) {}

  void reset() { start_ = Clock::now(); }

  // Seconds since construction or the last reset().
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

 private:
  using Clock = std::chrono::steady_clock;
  Clock::time_point start_;
};

}  // namespace weft::bench
