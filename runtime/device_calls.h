// SPDX-License-Identifier: Apache-2.0
// Calls on device buffers: pinned host staging, ordered on the caller's stream
// (Note [Stream-ordered calls] in runtime/device_calls.cc).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <vector>

#include "collectives/algorithm.h"
#include "collectives/footprint.h"
#include "common/deadline.h"
#include "common/wait.h"
#include "transport/cuda/device.h"

namespace weft::runtime {

// One communicator's staging. Thread-safe.
class DeviceCalls {
 public:
  // `closeSeconds` bounds how long the destructor waits for streams to finish with the staging.
  DeviceCalls(device::Runtime& rt, const WaitPolicy& wait, double closeSeconds);
  // Lets every stream waiting on this communicator go on, then frees the staging once the
  // streams are done with it (what they still hold after closeSeconds is left allocated).
  ~DeviceCalls();
  DeviceCalls(const DeviceCalls&) = delete;
  DeviceCalls& operator=(const DeviceCalls&) = delete;

  struct Staged {
    coll::CollArgs host;                      // the call, over pinned host buffers
    // Enqueues the rest on the stream: the wait for release(), then the copies back. Called once,
    // after stage(): at once for a lone call; at weftGroupEnd for the calls of a group, all of
    // whose copies in must come before any of their waits on a stream they share.
    std::function<void()> out;
    // Waits until the stream reached the call (Communicator::Ready).
    std::function<void(const Deadline&, const std::atomic<bool>& aborted)> ready;
    std::function<void()> release;            // the host is done: the stream may go on
    // With `landing` asked of stage(): whether the copies back are done (Work::landedWhen).
    std::function<bool()> landed;
  };
  // Enqueues on `stream` the copies of the call's input to pinned memory; out() the rest.
  // release() must run exactly once, whatever happens, once stage() returned.
  Staged stage(const coll::CollArgs& args, const coll::Footprint& f, device::Stream stream, bool landing);

 private:
  struct Block {
    std::byte* host = nullptr;
    size_t bytes = 0;
    device::Event filled = nullptr;   // recorded after the copies in
    device::Event emptied = nullptr;  // recorded after the copies out: free again once done
    bool taken = false;               // staged, its copies out not enqueued yet
  };
  Block& take(size_t bytes);  // under mu_
  void free(Block& b);
  void released(uint64_t ticket);
  void advance(uint64_t ticket);  // under mu_

  device::Runtime& rt_;
  const WaitPolicy wait_;
  const double closeSeconds_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Block>> blocks_;  // guarded by mu_
  // The streams' counter, in pinned memory: call k's copies out wait until it reaches k. It only
  // moves to the highest ticket whose calls, and all before them, were released: the calls of a
  // group may end out of order.
  std::atomic<uint64_t>* counter_ = nullptr;
  uint64_t issued_ = 0;        // guarded by mu_: the last ticket given out
  std::set<uint64_t> early_;   // guarded by mu_: released tickets beyond the counter
};

// Whether this process has made a call on a stream (from then on, NULL-stream calls check that
// their buffers are host memory).
bool streamsUsed();
void noteStreamsUsed();

}  // namespace weft::runtime
