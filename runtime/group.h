// SPDX-License-Identifier: Apache-2.0
// Groups (weftGroupStart/End): calls recorded on one thread, then run together, several at once.
#pragma once

#include <memory>
#include <vector>

#include "runtime/communicator.h"
#include "runtime/work.h"

namespace weft::runtime {

// Note [Groups]: between weftGroupStart and weftGroupEnd a thread's calls are recorded, not run
// (as in NCCL). weftGroupEnd prepares them all and advances them together from the calling
// thread: calls on different communicators (e.g. every thread rank of weftCommInitAll driven by
// one thread) and sends/receives to different peers of one communicator progress side by side,
// so a ring of sends and receives that would deadlock one call at a time completes. Within one
// communicator a collective waits for the calls recorded before it, and later calls wait for
// it, so the order of messages on every link is the order of the calls.
// Loop-bound: one per thread (thread_local).
class Group {
 public:
  // A call on a stream (Communicator::StreamCall) also brings `ready`, run on the driving thread
  // before the call is prepared, and `out`, run for every such call first at run().
  void add(Communicator& comm, const coll::CollArgs& args, std::shared_ptr<Work> work,
           Communicator::Ready ready = {}, std::function<void()> out = {});
  bool empty() const { return calls_.empty(); }
  // Runs every recorded call to completion and forgets them. Completes each call's Work; throws
  // the first error (the calls still unfinished then end with it too). A group of calls on
  // streams of one communicator is handed to its progress thread instead, and run() returns.
  void run();

 private:
  struct Call {
    Communicator* comm;
    coll::CollArgs args;
    std::shared_ptr<Work> work;
    Communicator::Ready ready;
    std::function<void()> out;
  };
  // Prepares the calls (`inOrder`: on the progress thread that runs this communicator's calls),
  // waits until each is ready, and advances them together to the end.
  static void drive(std::vector<Call>& calls, bool inOrder);
  std::vector<Call> calls_;
  // One per communicator with recorded calls, from the first add() until run() ends: an abort
  // waits for the group instead of freeing a communicator it will use (Note [Abort]).
  std::vector<std::unique_ptr<Communicator::Inside>> inside_;
};

// This thread's group nesting depth and recorded calls.
int& groupDepth();
Group& threadGroup();

}  // namespace weft::runtime
