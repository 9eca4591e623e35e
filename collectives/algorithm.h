// SPDX-License-Identifier: Apache-2.0
// What an algorithm is given (arguments and this rank's links) and what it offers (Algorithm).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "collectives/kernels/dtype.h"
#include "common/deadline.h"
#include "common/wait.h"
#include "transport/transport.h"

namespace weft::coll {

enum class CollKind {
  AllReduce, Broadcast, Reduce, AllGather, ReduceScatter, AllToAll, Scatter, Gather, Send, Recv, Barrier,
};
inline constexpr int kCollKinds = int(CollKind::Barrier) + 1;
const char* collName(CollKind kind);  // "allreduce", "broadcast", "reduce", "allgather", ...
// Whether a collective's op matters (it reduces), and whether its root does.
inline bool reduces(CollKind k) {
  return k == CollKind::AllReduce || k == CollKind::Reduce || k == CollKind::ReduceScatter;
}
inline bool rooted(CollKind k) {
  return k == CollKind::Broadcast || k == CollKind::Reduce || k == CollKind::Scatter || k == CollKind::Gather;
}

// One call's arguments, already validated by the runtime. `count` is NCCL's: the whole buffer for
// all-reduce, broadcast and reduce; per rank for all-gather (sendcount), reduce-scatter
// (recvcount), all-to-all, scatter and gather; the message for send and recv; 0 for barrier.
struct CollArgs {
  CollKind kind = CollKind::AllReduce;
  const void* send = nullptr;
  void* recv = nullptr;
  size_t count = 0;
  DataType dtype = DataType::Float32;
  ReduceOp op = ReduceOp::Sum;
  int root = 0;   // broadcast, reduce, scatter, gather; the peer of send and recv
  uint64_t seq = 0;  // this communicator's call number, for messages
};

// "allreduce #17 (count=1000, float, sum)"
std::string describe(const CollArgs& args);

// This rank's view of its communicator while one collective runs. Borrowed for the call only.
struct Context {
  int rank = 0;
  int size = 1;
  transport::Transport* transport = nullptr;
  std::span<transport::Endpoint* const> links;  // indexed by peer; self is null
  // Host of each rank, numbered 0.. in order of first appearance (empty: not known, one host);
  // how many hosts, and the ranks on each when every host has as many (else 0). Set once per
  // communicator, so that algorithms need not count per call.
  std::span<const int> hostOf;
  int hostCount = 1;
  int ranksPerHost = 0;
  const WaitPolicy* wait = nullptr;
  Deadline deadline = Deadline::after(0);
  // Set by weftCommAbort from any thread (Note [Abort]): a waiting call gives up at its next look.
  const std::atomic<bool>* aborted = nullptr;
  // The largest chunk every link of every rank carries: the same on all ranks, so that they cut
  // messages alike even when their links differ (shared memory here, TCP there). 0: this
  // rank's next link's slot size (all links alike).
  size_t chunkBytes = 0;
  // Every rank can read every peer's memory through its link (Note [Peer reads]); agreed by all
  // ranks at init, so that algorithms that need it are chosen alike everywhere.
  bool peerReads = false;
  // For an algorithm that hands some calls on (Algorithm::handsOff): the algorithm to hand them
  // to, chosen as if the first did not exist (the same on every rank). Null: none was chosen.
  const class Algorithm* fallback = nullptr;
  // The communicator's staging buffer (collectives/staging.h), for the staged algorithms; null
  // where there is none (a context made outside a communicator).
  class Staging* staging = nullptr;
  // The call's signature, which its messages carry and every message it receives must carry
  // (Note [Signatures] in collectives/signature.h), and whether to compare (WEFT_CHECK).
  transport::Stamp stamp;
  bool checkStamps = true;

  transport::Endpoint& link(int peer) const { return *links[size_t(peer)]; }
  // The chunk size algorithms cut messages into (size > 1).
  size_t slotBytes() const { return chunkBytes ? chunkBytes : link((rank + 1) % size).slotBytes(); }
};

class Operation;  // collectives/operation.h

// How an algorithm's cost grows with the rank count, for the tuner (collectives/tuner.h), per
// byte of the call's `count`: `steps` latency-bound steps in sequence, and `volume` bytes through
// the busiest rank. Only ratios between rank counts matter (the constants are measured).
struct CostShape {
  double steps = 1;
  double volume = 1;
};

// An algorithm describes itself and may decline a call (supports() == false).
class Algorithm {
 public:
  virtual ~Algorithm() = default;
  virtual std::string_view name() const = 0;  // "ring", "chain", ...
  virtual CollKind kind() const = 0;
  virtual bool supports(const CollArgs& args, const Context& ctx) const = 0;
  // The collective as an Operation to advance (collectives/operation.h). `ctx` and `args` must
  // outlive it: operations keep references to both.
  virtual std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const = 0;
  // The default: a chain of nranks-1 steps, each passing the whole message on once.
  virtual CostShape shape(int nranks) const { return {double(nranks - 1), 1}; }
  // Whether the algorithm may, after a first round of messages, hand the call to
  // Context::fallback (the shared algorithms: Note [Shared algorithms] in peer_messages.h). Such
  // an algorithm is never a fallback itself.
  virtual bool handsOff() const { return false; }
};

}  // namespace weft::coll
