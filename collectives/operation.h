// SPDX-License-Identifier: Apache-2.0
// A collective in flight on one rank, advanced step by step without blocking, and the loop that
// drives one to completion with the spin/yield/sleep wait.
#pragma once

#include <cstring>
#include <memory>
#include <string>

#include "collectives/algorithm.h"
#include "collectives/peer_set.h"

namespace weft::coll {

enum class Progress { Done, Advanced, Blocked };

class Operation {
 public:
  virtual ~Operation() = default;
  // Note [Operation blocks]: one operation is made and freed per call, some larger than malloc's
  // per-thread cache takes (a halving-doubling plan is ~3 KiB), so each thread keeps one freed
  // block of kBlockBytes for the next call instead of a trip through malloc's bins.
  static constexpr size_t kBlockBytes = 4096;
  static void* operator new(size_t bytes);
  static void operator delete(void* p, size_t bytes);
  // Does every step that can be done now. Never blocks. Throws RemoteError on bad peer data.
  virtual Progress advance() = 0;
  // What the operation waits for when Blocked, for messages ("a chunk from rank 2").
  virtual std::string waitingFor() const = 0;
  // The peers it waits for when Blocked (a chunk from one, a free slot at another): Note
  // [Stalled peers]. The first is the one waitingFor() names first.
  virtual PeerSet blockedOn() const = 0;
};

// Advances `op` until Done, waiting on the transport in between (spin, yield, then sleep; see
// common/wait.h). Throws Timeout naming the call, the deadline and what was awaited.
void runToCompletion(const Context& ctx, const CollArgs& args, Operation& op);

// For a driver that found `op` Blocked long enough to sleep: throws InvalidUsage once the
// communicator was aborted (ctx.aborted), Timeout past ctx.deadline and RemoteError when the peer
// the operation waits for has exited, any of them (Note [Stalled peers]; after one more look,
// since a peer may post everything and leave); otherwise returns that look's progress. Drivers sleep at most WaitPolicy::sleepCapMs
// between calls, which bounds how long an abort or a deadline goes unnoticed.
Progress checkStalled(const Context& ctx, const CollArgs& args, Operation& op);
// What every call that an abort ends says (after naming the call).
inline constexpr const char* kAbortedByUser = "the communicator was aborted (weftCommAbort)";

// A copy of a rank's own data that an operation makes before anything else, deferred to its
// first advance(): in a group every call is started before any runs (Note [Groups]), and an
// earlier call of the group may still have to write the source.
struct FirstCopy {
  void* to = nullptr;
  const void* from = nullptr;
  size_t bytes = 0;
  // Makes the copy once (nothing when to == from); true when it did something.
  bool run() {
    if (to == nullptr) return false;
    if (bytes > 0 && to != from) std::memcpy(to, from, bytes);
    to = nullptr;
    return true;
  }
};

// On one rank a collective is a copy (avg over one rank is the value itself): done at once.
class LocalCopyOp final : public Operation {
 public:
  explicit LocalCopyOp(const CollArgs& args) : args_(args) {}
  Progress advance() override;
  std::string waitingFor() const override { return "nothing"; }
  PeerSet blockedOn() const override { return {}; }

 private:
  const CollArgs& args_;
};

// The body of most Algorithm::start.
template <class Op, class... Extra>
std::unique_ptr<Operation> startOperation(const Context& ctx, const CollArgs& args, Extra... extra) {
  if (ctx.size == 1) return std::make_unique<LocalCopyOp>(args);
  return std::make_unique<Op>(ctx, args, extra...);
}

}  // namespace weft::coll
