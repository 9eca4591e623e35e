// SPDX-License-Identifier: Apache-2.0
// Deadlines: every wait in weft is bounded by one.
#pragma once

#include <time.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace weft {

using Clock = std::chrono::steady_clock;

class Deadline {
 public:
  // A deadline `seconds` from now; non-positive or huge values mean "effectively never".
  static Deadline after(double seconds) {
    if (seconds <= 0 || seconds > 1e8) return Deadline(Clock::time_point::max(), seconds);
    return Deadline(Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(seconds)),
                    seconds);
  }
  // The same from the kernel's coarse clock (up to a tick, a few ms, behind, so the deadline may
  // come that much early; read without a timer access): for deadlines of seconds set on a hot
  // path, such as one per collective call. Not for deadlines of milliseconds.
  static Deadline afterCoarse(double seconds) {
    if (seconds <= 0 || seconds > 1e8) return Deadline(Clock::time_point::max(), seconds);
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);  // steady_clock is CLOCK_MONOTONIC: the same epoch
    const auto now = Clock::time_point(std::chrono::duration_cast<Clock::duration>(
        std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec)));
    return Deadline(now + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds)), seconds);
  }
  bool expired() const { return Clock::now() >= at_; }
  Clock::time_point at() const { return at_; }
  // Seconds left, never negative.
  double remaining() const {
    if (at_ == Clock::time_point::max()) return 1e9;
    auto left = std::chrono::duration<double>(at_ - Clock::now()).count();
    return left > 0 ? left : 0;
  }
  double total() const { return total_; }
  // "after 30 s" for messages.
  std::string describe() const;

 private:
  Deadline(Clock::time_point at, double total) : at_(at), total_(total) {}
  Clock::time_point at_;
  double total_;
};

inline std::string Deadline::describe() const {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "after %g s", total_);
  return buf;
}

}  // namespace weft
