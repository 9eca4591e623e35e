// SPDX-License-Identifier: Apache-2.0
// The chunk steps: take a slot from prev, reduce or copy, fill a slot of next.
#include "collectives/primitives.h"

#include <algorithm>
#include <cstring>

#include "collectives/kernels/copy.h"
#include "collectives/kernels/reduce.h"
#include "collectives/signature.h"
#include "common/error.h"

namespace weft::coll {
namespace {
bool receives(Prim p) { return p != Prim::Send; }
bool sends(Prim p) { return p != Prim::Recv && p != Prim::RecvReduceCopy; }
}  // namespace

size_t Primitives::maxChunkElements() const { return std::max<size_t>(1, slotBytes_ / elem_); }

bool Primitives::tryStepWith(Prim prim, transport::Endpoint* from, transport::Endpoint* to,
                             const void* src, void* dst, size_t count) {
  const size_t bytes = count * elem_;
  const std::byte* in = nullptr;
  std::byte* out = nullptr;
  if (receives(prim)) {
    size_t got = 0;
    in = from->tryRecvSlot(&got);
    if (!in) {
      blockedAt(from, Wait::Chunk);
      return false;
    }
    checkStamp(check_, stamp_, rank_, *from);
    if (got != bytes) {
      throw RemoteError("rank " + std::to_string(from->peer()) + " sent a chunk of " +
                        std::to_string(got) + " bytes where " + std::to_string(bytes) +
                        " were expected: do all ranks call the same collective with the same "
                        "count and datatype?",
                        from->peer());
    }
  }
  if (sends(prim)) {
    out = to->trySendSlot(bytes);
    if (!out) {
      if (in) met(from, Wait::Chunk);  // the chunk came: the step waits for the slot alone
      blockedAt(to, Wait::Slot);
      return false;
    }
  }
  bool posted = false;  // by a direct send
  if (direct_ && out && to->sendsFromCaller()) {
    switch (prim) {
      case Prim::Send:
        to->postSendFrom(static_cast<const std::byte*>(src), bytes, stamp_);
        posted = true;
        break;
      case Prim::RecvReduceCopySend:
        reduce::apply(op_, dtype_, dst, in, src, count);
        if (op_ == ReduceOp::Avg) reduce::divide(dtype_, dst, count, nranks_);
        to->postSendFrom(static_cast<const std::byte*>(dst), bytes, stamp_);
        posted = true;
        break;
      case Prim::RecvCopySend:
        copyOut(dst, in, bytes, streaming_);
        to->postSendFrom(static_cast<const std::byte*>(dst), bytes, stamp_);
        posted = true;
        break;
      default:
        break;
    }
    if (posted) {
      sentDirect(to);
      if (in) from->releaseRecv();
      nStuck_ = 0;
      return true;
    }
  }
  switch (prim) {
    case Prim::Send:
      std::memcpy(out, src, bytes);
      break;
    case Prim::Recv:
      copyOut(dst, in, bytes, streaming_);
      break;
    case Prim::RecvReduceSend:
      reduce::apply(op_, dtype_, out, in, src, count);
      break;
    case Prim::RecvReduceCopySend:
      // Into the (cached) slot first, then out to dst: dst is written once and never read back.
      reduce::apply(op_, dtype_, out, in, src, count);
      if (op_ == ReduceOp::Avg) reduce::divide(dtype_, out, count, nranks_);
      copyOut(dst, out, bytes, streaming_);
      break;
    case Prim::RecvCopySend:
      std::memcpy(out, in, bytes);
      copyOut(dst, in, bytes, streaming_);
      break;
    case Prim::RecvReduceCopy:
      reduce::apply(op_, dtype_, dst, in, src, count);
      if (op_ == ReduceOp::Avg) reduce::divide(dtype_, dst, count, nranks_);
      break;
  }
  if (out) to->postSend(bytes, stamp_);
  if (in) from->releaseRecv();
  nStuck_ = 0;
  return true;
}

void Primitives::met(const transport::Endpoint* link, Wait wait) {
  size_t kept = 0;
  for (size_t i = 0; i < nStuck_; ++i) {
    if (stuck_[i].link != link || stuck_[i].wait != wait) stuck_[kept++] = stuck_[i];
  }
  nStuck_ = kept;
}

void Primitives::blockedAt(const transport::Endpoint* link, Wait wait) {
  last_ = {link, wait};
  for (size_t i = 0; i < nStuck_; ++i) {
    if (stuck_[i].link == link && stuck_[i].wait == wait) return;
  }
  if (nStuck_ < stuck_.size()) stuck_[nStuck_++] = last_;
}

void Primitives::sentDirect(transport::Endpoint* to) {
  for (size_t i = 0; i < nDirectTo_; ++i) {
    if (directTo_[i] == to) return;
  }
  // Ring-like steps send to one or two peers; an algorithm that sends directly to more would
  // need a bigger set.
  if (nDirectTo_ == directTo_.size()) throw InternalError("direct sends to more than 4 peers in one operation");
  directTo_[nDirectTo_++] = to;
}

bool Primitives::drained() {
  for (size_t i = 0; i < nDirectTo_; ++i) {
    if (!directTo_[i]->sendsDrained()) {
      blockedAt(directTo_[i], Wait::Drain);
      return false;
    }
  }
  for (size_t i = 0; i < nDirectTo_; ++i) met(directTo_[i], Wait::Drain);  // nothing waits for a drain any more
  if (last_.wait == Wait::Drain) last_ = nStuck_ > 0 ? stuck_[nStuck_ - 1] : Blocked{};
  return true;
}

void Primitives::copyToOutput(void* dst, const void* src, size_t count) const {
  copyOut(dst, src, count * elem_, streaming_);
}

void Primitives::finish() const {
  if (streaming_) streamingFence();
}

std::string Primitives::describe(const Blocked& b) {
  const std::string peer = std::to_string(b.link->peer());
  switch (b.wait) {
    case Wait::Drain: return "its last chunks to leave for rank " + peer;
    case Wait::Chunk: return "a chunk from rank " + peer;
    case Wait::Slot: break;
  }
  return "a free slot at rank " + peer + " (it has not consumed earlier chunks)";
}

std::string Primitives::waitingFor() const {
  if (!last_.link) return "nothing";
  std::string s = describe(last_);
  for (size_t i = 0; i < nStuck_; ++i) {
    const Blocked& b = stuck_[i];
    if (b.link != last_.link || b.wait != last_.wait) s += " and " + describe(b);
  }
  return s;
}

PeerSet Primitives::blockedPeers() const {
  PeerSet s;
  if (last_.link) s.add(last_.link->peer());
  for (size_t i = 0; i < nStuck_; ++i) s.add(stuck_[i].link->peer());
  return s;
}

}  // namespace weft::coll
