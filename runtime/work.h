// SPDX-License-Identifier: Apache-2.0
// The handle of a collective in flight (c10d's Work): completion, waiting with a timeout, and the
// error it ended with. Thread-safe: completed by the progress thread, waited on by callers.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>

namespace weft::runtime {

class Work {
 public:
  bool isCompleted() const {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!done_) return false;
      if (error_) return true;
    }
    return !landed_ || landed_();
  }

  // Waits until completed or `seconds` pass (negative: no limit). Returns whether it completed;
  // once completed, rethrows the error the collective ended with, if any.
  bool wait(double seconds) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds < 0 ? 1e9 : seconds);
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (seconds < 0) {
        cv_.wait(lock, [&] { return done_; });
      } else if (!cv_.wait_until(lock, until, [&] { return done_; })) {
        return false;
      }
      if (error_) std::rethrow_exception(error_);
    }
    // A call on a stream: its results reach the device buffers in the stream's order, a moment
    // after the host is done (the copies back); wait for those too.
    while (landed_ && !landed_()) {
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    return true;
  }

  // For a call on a stream: whether its results are in place (set before the Work is shared).
  void landedWhen(std::function<bool()> fn) { landed_ = std::move(fn); }

  std::exception_ptr exception() const {
    std::lock_guard<std::mutex> lock(mu_);
    return error_;
  }

  // Runs once, on the thread that completes the Work, with its error (if any), just before
  // waiters see it complete (a call on a stream lets the stream go on here). Set before the Work
  // is shared.
  void onComplete(std::function<void(std::exception_ptr)> fn) { onComplete_ = std::move(fn); }

  // Called once, by whoever ran the collective.
  void complete(std::exception_ptr error) {
    if (onComplete_) onComplete_(error);
    {
      std::lock_guard<std::mutex> lock(mu_);
      error_ = error;
      done_ = true;
    }
    cv_.notify_all();
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;              // guarded by mu_
  std::exception_ptr error_;       // guarded by mu_
  std::function<void(std::exception_ptr)> onComplete_;  // set before sharing, run by complete()
  std::function<bool()> landed_;      // set before sharing
};

}  // namespace weft::runtime
