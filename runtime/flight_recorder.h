// SPDX-License-Identifier: Apache-2.0
// The last calls of a communicator, kept so that a failure can say what ran before it (as
// PyTorch's NCCL flight recorder does): WEFT_FLIGHT_RECORDER calls, dumped to the log on error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/algorithm.h"

namespace weft::runtime {

// Written by the one thread that drives the communicator's calls at a time (the caller, the
// progress thread or a group driver), which is also the thread that dumps it on a failure.
class FlightRecorder {
 public:
  static constexpr size_t kNone = SIZE_MAX;

  explicit FlightRecorder(size_t capacity);

  // A call about to run with `algorithm`; returns its slot for end(), or kNone when disabled.
  // Costs a copy of the arguments and a read of the coarse clock.
  size_t start(const coll::CollArgs& args, std::string_view algorithm);
  // The call in `slot` ended; a slot since reused by a later call is left alone.
  void end(size_t slot, uint64_t seq, bool ok);

  // One line per kept call, oldest first: "allreduce #3 (count=1000, float, sum) by ring: done,
  // started 1.204 s after init"; a failed or running call also says for how long (the coarse
  // clock: a few ms of resolution).
  std::vector<std::string> lines() const;
  // Writes a heading and lines() to the log at WARN, for a failure on rank `rank`; once only,
  // since the first failure leaves the communicator unusable (a group's other calls on it fail
  // with it).
  void dump(int rank);

  size_t capacity() const { return ring_.size(); }

 private:
  enum class State : uint8_t { Running, Done, Failed };
  struct Entry {
    coll::CollArgs args;
    std::string_view algorithm;  // an Algorithm's name: a string literal
    int64_t startNs = 0;
    int64_t endNs = 0;  // failed calls only
    State state = State::Running;
  };
  std::vector<Entry> ring_;
  uint64_t recorded_ = 0;  // calls recorded so far; entry i lives in ring_[i % capacity]
  bool dumped_ = false;
  int64_t createdNs_;
};

}  // namespace weft::runtime
