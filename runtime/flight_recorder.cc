// SPDX-License-Identifier: Apache-2.0
// The flight recorder's ring and its dump.
#include "runtime/flight_recorder.h"

#include <time.h>

#include <algorithm>
#include <cstdio>

#include "common/log.h"

namespace weft::runtime {
namespace {

int64_t coarseNowNs() {
  timespec ts{};
  ::clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

FlightRecorder::FlightRecorder(size_t capacity) : ring_(capacity), createdNs_(coarseNowNs()) {}

size_t FlightRecorder::start(const coll::CollArgs& args, std::string_view algorithm) {
  if (ring_.empty()) return kNone;
  const size_t slot = size_t(recorded_++ % ring_.size());
  ring_[slot] = Entry{args, algorithm, coarseNowNs(), 0, State::Running};
  return slot;
}

void FlightRecorder::end(size_t slot, uint64_t seq, bool ok) {
  if (slot == kNone || slot >= ring_.size() || ring_[slot].args.seq != seq) return;
  ring_[slot].state = ok ? State::Done : State::Failed;
  if (!ok) ring_[slot].endNs = coarseNowNs();  // a finished call's length is not kept: one clock read per call
}

std::vector<std::string> FlightRecorder::lines() const {
  std::vector<std::string> out;
  const size_t kept = size_t(std::min<uint64_t>(recorded_, ring_.size()));
  const int64_t now = coarseNowNs();
  for (uint64_t i = recorded_ - kept; i < recorded_; ++i) {
    const Entry& e = ring_[size_t(i % ring_.size())];
    const double startedS = double(e.startNs - createdNs_) / 1e9;
    const double ms = double((e.state == State::Running ? now : e.endNs) - e.startNs) / 1e6;
    char tail[128];
    if (e.state == State::Done) {
      std::snprintf(tail, sizeof(tail), ": done, started %.3f s after init", startedS);
    } else {
      std::snprintf(tail, sizeof(tail), ": %s after %.0f ms, started %.3f s after init",
                    e.state == State::Failed ? "failed" : "still running", ms, startedS);
    }
    out.push_back(coll::describe(e.args) + " by " + std::string(e.algorithm) + tail);
  }
  return out;
}

void FlightRecorder::dump(int rank) {
  if (ring_.empty() || dumped_) return;
  dumped_ = true;
  const auto all = lines();
  WEFT_LOG(Warn, "rank %d: the last %zu call%s on this communicator, oldest first (WEFT_FLIGHT_RECORDER=%zu):",
           rank, all.size(), all.size() == 1 ? "" : "s", ring_.size());
  for (const auto& line : all) WEFT_LOG(Warn, "  %s", line.c_str());
}

}  // namespace weft::runtime
