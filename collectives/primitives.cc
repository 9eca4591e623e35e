// SPDX-License-Identifier: Apache-2.0
// The chunk steps: take a slot from prev, reduce or copy, fill a slot of next.
#include "collectives/primitives.h"

#include <algorithm>
#include <cstring>

#include "collectives/kernels/copy.h"
#include "collectives/kernels/reduce.h"
#include "common/error.h"

namespace weft::coll {
namespace {
bool receives(Prim p) { return p != Prim::Send; }
bool sends(Prim p) { return p != Prim::Recv; }
}  // namespace

size_t Primitives::maxChunkElements() const {
  const size_t slot = next_ ? next_->slotBytes() : prev_->slotBytes();
  return std::max<size_t>(1, slot / elem_);
}

bool Primitives::tryStep(Prim prim, const void* src, void* dst, size_t count) {
  const size_t bytes = count * elem_;
  const std::byte* in = nullptr;
  std::byte* out = nullptr;
  if (receives(prim)) {
    size_t got = 0;
    in = prev_->tryRecvSlot(&got);
    if (!in) {
      blockedOnRecv_ = true;
      return false;
    }
    if (got != bytes) {
      throw RemoteError("rank " + std::to_string(prev_->peer()) + " sent a chunk of " +
                        std::to_string(got) + " bytes where " + std::to_string(bytes) +
                        " were expected: do all ranks call the same collective with the same "
                        "count and datatype?");
    }
  }
  if (sends(prim)) {
    out = next_->trySendSlot();
    if (!out) {
      blockedOnRecv_ = false;
      return false;
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
  }
  if (out) next_->postSend(bytes);
  if (in) prev_->releaseRecv();
  return true;
}

void Primitives::copyToOutput(void* dst, const void* src, size_t count) const {
  copyOut(dst, src, count * elem_, streaming_);
}

void Primitives::finish() const {
  if (streaming_) streamingFence();
}

std::string Primitives::waitingFor() const {
  if (blockedOnRecv_) return "a chunk from rank " + std::to_string(prev_->peer());
  return "a free slot at rank " + std::to_string(next_->peer()) + " (it has not consumed earlier chunks)";
}

}  // namespace weft::coll
