// SPDX-License-Identifier: Apache-2.0
// The steps ring-like algorithms are made of (NCCL's vocabulary): each takes at most one chunk
// from the previous rank and puts at most one chunk into the next rank's FIFO, in place.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "collectives/algorithm.h"
#include "collectives/kernels/dtype.h"
#include "collectives/peer_set.h"
#include "transport/transport.h"

namespace weft::coll {

enum class Prim {
  Send,                // src -> next
  Recv,                // prev -> dst
  RecvReduceSend,      // prev (op) src -> next
  RecvReduceCopySend,  // prev (op) src -> dst, finalized (avg), and -> next
  RecvCopySend,        // prev -> dst and -> next
  RecvReduceCopy,      // prev (op) src -> dst, finalized (avg)
};

// Loop-bound; borrows the endpoints for one collective. `prev` and `next` are the default
// endpoints (a ring's or a chain's neighbours); tryStepWith names others. Messages carry the
// call's signature, and those received are checked against it (Note [Signatures]).
class Primitives {
 public:
  Primitives(const Context& ctx, transport::Endpoint* prev, transport::Endpoint* next, DataType dtype, ReduceOp op)
      : prev_(prev), next_(next), dtype_(dtype), op_(op), nranks_(ctx.size), rank_(ctx.rank),
        elem_(dtypeSize(dtype)), slotBytes_(ctx.slotBytes()), stamp_(ctx.stamp), check_(ctx.checkStamps) {}

  // Does the step on `count` elements if the slots it needs are there; false (and nothing done)
  // otherwise. Throws InvalidUsage when the received chunk carries another call's signature,
  // RemoteError when it has the wrong size.
  bool tryStep(Prim prim, const void* src, void* dst, size_t count) {
    return tryStepWith(prim, prev_, next_, src, dst, count);
  }
  // The same with explicit endpoints (`from` for steps that receive, `to` for those that send).
  bool tryStepWith(Prim prim, transport::Endpoint* from, transport::Endpoint* to, const void* src,
                   void* dst, size_t count);

  // What the steps that failed since the last one that succeeded wait for, the last first, and
  // from which peers (Note [Stalled peers]: a send and a receive may both be stuck).
  std::string waitingFor() const;
  PeerSet blockedPeers() const;

  size_t elementSize() const { return elem_; }
  // Outputs of `bytes` in all, which the operation also reads as input or not: large outputs
  // that are not inputs are written with streaming stores (collectives/kernels/copy.h; an output
  // that is also an input was just read, so its lines are in the cache and cached stores win).
  // finish() fences them; call it when the operation is done.
  void setOutput(size_t bytes, bool alsoInput) { streaming_ = !alsoInput && bytes >= kStreamingBytes; }
  // Note [Direct sends]: steps that send their source (Send) or their finished output
  // (RecvReduceCopySend, RecvCopySend) hand the transport that memory instead of copying it into
  // a slot (Endpoint::postSendFrom; TCP writes it to the socket from there). The caller promises
  // that memory stays unchanged until drained() is true, and must not return before: true for
  // an out-of-place ring all-reduce, whose input is read-only and whose finished output chunks
  // are never written again in the call. Only over links that send from caller memory
  // (Endpoint::sendsFromCaller): elsewhere the step would make its output with cached stores and
  // copy it into the slot from there, where the slot, in the cache, is the better place to make
  // it and a large output is then streamed out of it (2-rank all-reduce over shared memory, 16-256
  // MiB: 4.5-4.8 GB/s against 4.1 over the output first).
  void sendDirect(bool on) { direct_ = on; }
  // False (and waitingFor() says why) while a direct send may still read caller memory.
  bool drained();
  void finish() const;
  // A local copy into the output, with the same store policy as the steps.
  void copyToOutput(void* dst, const void* src, size_t count) const;

  // Note [Streaming outputs]: below this, outputs stay in the cache for the caller; above it they
  // would not (memcpy here drops from ~33 GB/s at 512 KiB to ~11 GB/s at 2 MiB), and streaming
  // stores save the read of each output line before it is written.
  static constexpr size_t kStreamingBytes = size_t(4) << 20;
  size_t maxChunkElements() const;

 private:
  transport::Endpoint* prev_;
  transport::Endpoint* next_;
  DataType dtype_;
  ReduceOp op_;
  int nranks_;
  int rank_;
  size_t elem_;
  size_t slotBytes_;
  transport::Stamp stamp_;
  bool check_;
  // What a failed step or drained() waited for: a chunk, a free slot, sends to drain.
  enum class Wait : uint8_t { Chunk, Slot, Drain };
  struct Blocked {
    const transport::Endpoint* link = nullptr;
    Wait wait = Wait::Chunk;
  };
  // The last failure, and every distinct one since the last step that succeeded, less those met
  // since (a step's receive may arrive while its send still waits for a slot).
  Blocked last_;
  std::array<Blocked, PeerSet::kCapacity> stuck_{};
  size_t nStuck_ = 0;
  void blockedAt(const transport::Endpoint* link, Wait wait);
  void met(const transport::Endpoint* link, Wait wait);  // that wait is over: forgotten
  static std::string describe(const Blocked& b);
  bool streaming_ = false;
  bool direct_ = false;
  std::array<transport::Endpoint*, 4> directTo_{};  // endpoints given caller memory
  size_t nDirectTo_ = 0;
  void sentDirect(transport::Endpoint* to);
};

}  // namespace weft::coll
