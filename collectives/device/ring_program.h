// SPDX-License-Identifier: Apache-2.0
// The device ring's schedule (Note [Device ring]), written once over a context that supplies the
// data movement: CUDA blocks in collectives/device/ring_cuda.cu, a host thread in ring_host.cc
// (the tests' device runtime runs it there, so the schedule is checked without a GPU).
#pragma once

#include "collectives/device/ring_job.h"

// Note [Device ring]
// All-reduce and broadcast between ranks that reach each other's device memory (CUDA IPC between
// processes, plain pointers between threads of one), each rank running one kernel per call on its
// own stream, as NCCL does. Every rank owns a workspace (ring_job.h): per channel, a FIFO of
// `slots` slots that its ring predecessor writes into, and two counters, `ready` (slots the
// predecessor filled, raised by it) and `freed` (slots of the successor's FIFO that the successor
// emptied, raised by the successor). A sender waits until its successor has a free slot, writes
// the slot and raises the successor's `ready`; a receiver waits for its own `ready`, uses the
// slot, and raises its predecessor's `freed`. Each rank polls only its own memory and writes its
// neighbours'. The counters never go back: the host keeps how far each went (RingJob::sentBase,
// recvBase; both sides count alike from the call's count and geometry, slotsOf), so no call
// resets anything and calls follow each other on the stream with no host step between them.
// The buffer is cut into `channels` parts, one block each, with its own FIFO and counters.
// All-reduce: per iteration of n slices, the ring's reduce-scatter (n-1 steps: receive a partial
// sum, add this rank's input, send it on) and all-gather (n-1 steps: receive a final segment, keep
// it, send it on); the rank that completes a segment divides it for Avg. Broadcast: a chain from
// the root, slice by slice. A nonzero abort word (pinned host memory, set by weftCommAbort,
// destroy, or a failed set-up) makes every wait give up: the kernel returns, the output undefined.
namespace weft::coll::devring {

#if defined(__CUDACC__)
#define WEFT_RING_FN __device__ __forceinline__
#else
#define WEFT_RING_FN inline
#endif

// One channel's two ring links, as seen from this rank. Every thread of a block holds a copy.
struct Lane {
  unsigned char* outFifo;   // the successor's FIFO for this channel
  uint64_t* outReady;       // the successor's `ready`
  const uint64_t* outFreed;  // this rank's `freed` (raised by the successor)
  const unsigned char* inFifo;
  const uint64_t* inReady;  // this rank's `ready`
  uint64_t* inFreed;        // the predecessor's `freed`
  uint64_t sent, got;
  uint32_t slots;
  uint64_t slotBytes;
};

// The next slot to fill, once the successor has emptied it; nullptr when aborted.
template <class Ctx>
WEFT_RING_FN unsigned char* sendSlot(Ctx& ctx, Lane& l) {
  const uint64_t need = l.sent + 1 > l.slots ? l.sent + 1 - l.slots : 0;
  if (!ctx.waitAtLeast(l.outFreed, need)) return nullptr;
  return l.outFifo + (l.sent % l.slots) * l.slotBytes;
}
template <class Ctx>
WEFT_RING_FN void sent(Ctx& ctx, Lane& l) {
  ctx.publish(l.outReady, ++l.sent);
}
// The next slot the predecessor filled; nullptr when aborted.
template <class Ctx>
WEFT_RING_FN const unsigned char* recvSlot(Ctx& ctx, Lane& l) {
  if (!ctx.waitAtLeast(l.inReady, l.got + 1)) return nullptr;
  return l.inFifo + (l.got % l.slots) * l.slotBytes;
}
template <class Ctx>
WEFT_RING_FN void received(Ctx& ctx, Lane& l) {
  ctx.publish(l.inFreed, ++l.got);
}

WEFT_RING_FN uint64_t granuleElems(const RingJob& j) { return j.elemSize >= kGranule ? 1 : kGranule / j.elemSize; }

template <class Ctx>
WEFT_RING_FN bool allReduceChannel(Ctx& ctx, const RingJob& j, uint64_t begin, uint64_t len, Lane& l) {
  const int n = j.size, r = j.rank;
  const uint64_t es = j.elemSize;
  const unsigned char* in = static_cast<const unsigned char*>(j.send) + begin * es;
  unsigned char* out = static_cast<unsigned char*>(j.recv) + begin * es;
  if (n == 1) {
    if (in != out) ctx.copy(out, nullptr, in, len * es);
    return true;
  }
  const uint64_t slice = sliceElems(j), g = granuleElems(j);
  for (uint64_t base = 0; base < len; base += uint64_t(n) * slice) {
    const uint64_t rest = len - base < uint64_t(n) * slice ? len - base : uint64_t(n) * slice;
    const uint64_t segElems = ((rest + n - 1) / n + g - 1) / g * g;
    // Segment k of this iteration: elements [off, off + cnt) of the channel.
    auto seg = [&](int k, uint64_t* off, uint64_t* cnt) {
      const uint64_t s = uint64_t(k) * segElems;
      *off = base + (s < rest ? s : rest);
      *cnt = s < rest ? (rest - s < segElems ? rest - s : segElems) : 0;
    };
    uint64_t off = 0, cnt = 0;
    seg(r, &off, &cnt);
    unsigned char* dst = sendSlot(ctx, l);
    if (dst == nullptr) return false;
    ctx.copy(dst, nullptr, in + off * es, cnt * es);
    sent(ctx, l);
    for (int s = 1; s < n - 1; ++s) {  // reduce-scatter: add this rank's part, pass it on
      seg((r - s + n) % n, &off, &cnt);
      const unsigned char* src = recvSlot(ctx, l);
      dst = src != nullptr ? sendSlot(ctx, l) : nullptr;
      if (dst == nullptr) return false;
      ctx.reduce(dst, nullptr, src, in + off * es, cnt, false);
      received(ctx, l);
      sent(ctx, l);
    }
    seg((r + 1) % n, &off, &cnt);  // the segment this rank completes
    const unsigned char* src = recvSlot(ctx, l);
    dst = src != nullptr ? sendSlot(ctx, l) : nullptr;
    if (dst == nullptr) return false;
    ctx.reduce(out + off * es, dst, src, in + off * es, cnt, true);
    received(ctx, l);
    sent(ctx, l);
    for (int t = 1; t < n - 1; ++t) {  // all-gather: keep each final segment, pass it on
      seg((r + 1 - t + n) % n, &off, &cnt);
      src = recvSlot(ctx, l);
      dst = src != nullptr ? sendSlot(ctx, l) : nullptr;
      if (dst == nullptr) return false;
      ctx.copy(out + off * es, dst, src, cnt * es);
      received(ctx, l);
      sent(ctx, l);
    }
    seg((r + 2) % n, &off, &cnt);
    src = recvSlot(ctx, l);
    if (src == nullptr) return false;
    ctx.copy(out + off * es, nullptr, src, cnt * es);
    received(ctx, l);
  }
  return true;
}

template <class Ctx>
WEFT_RING_FN bool broadcastChannel(Ctx& ctx, const RingJob& j, uint64_t begin, uint64_t len, Lane& l) {
  const int n = j.size;
  const uint64_t es = j.elemSize;
  const int pos = (j.rank - j.root + n) % n;
  const unsigned char* in = static_cast<const unsigned char*>(j.send) + begin * es;
  unsigned char* out = static_cast<unsigned char*>(j.recv) + begin * es;
  if (n == 1) {
    if (in != out) ctx.copy(out, nullptr, in, len * es);
    return true;
  }
  const uint64_t slice = sliceElems(j);
  for (uint64_t at = 0; at < len; at += slice) {
    const uint64_t bytes = (len - at < slice ? len - at : slice) * es;
    if (pos == 0) {
      unsigned char* dst = sendSlot(ctx, l);
      if (dst == nullptr) return false;
      ctx.copy(dst, in != out ? out + at * es : nullptr, in + at * es, bytes);
      sent(ctx, l);
    } else if (pos < n - 1) {
      const unsigned char* src = recvSlot(ctx, l);
      unsigned char* dst = src != nullptr ? sendSlot(ctx, l) : nullptr;
      if (dst == nullptr) return false;
      ctx.copy(out + at * es, dst, src, bytes);
      received(ctx, l);
      sent(ctx, l);
    } else {
      const unsigned char* src = recvSlot(ctx, l);
      if (src == nullptr) return false;
      ctx.copy(out + at * es, nullptr, src, bytes);
      received(ctx, l);
    }
  }
  return true;
}

// Channel c of job j: false when it stopped early (aborted, or the link never came up).
template <class Ctx>
WEFT_RING_FN bool runChannel(Ctx& ctx, const RingJob& j, uint32_t c) {
  if (j.table->state != LinkTable::Ready || *j.abort != 0) return false;
  uint64_t begin = 0, len = 0;
  channelRange(j, c, &begin, &len);
  const int next = (j.rank + 1) % j.size, prev = (j.rank - 1 + j.size) % j.size;
  auto* mine = reinterpret_cast<WorkspaceHeader*>(ctx.at(j.table->ws[j.rank]));
  auto* succ = reinterpret_cast<WorkspaceHeader*>(ctx.at(j.table->ws[next]));
  auto* pred = reinterpret_cast<WorkspaceHeader*>(ctx.at(j.table->ws[prev]));
  const uint64_t fifo = kFifoOffset + uint64_t(c) * j.geo.slots * j.geo.slotBytes;
  Lane l{reinterpret_cast<unsigned char*>(succ) + fifo, &succ->ready[c].value, &mine->freed[c].value,
         reinterpret_cast<const unsigned char*>(mine) + fifo, &mine->ready[c].value, &pred->freed[c].value,
         j.sentBase[c], j.recvBase[c], j.geo.slots, j.geo.slotBytes};
  const bool done = j.kind == RingKind::AllReduce ? allReduceChannel(ctx, j, begin, len, l)
                                                  : broadcastChannel(ctx, j, begin, len, l);
  // Once the successor has emptied every slot this rank sent, no rank writes into this rank's
  // workspace for this call any more: when the kernel ends, the workspace is quiet (what lets a
  // communicator free it once its last kernel is done).
  return done && ctx.waitAtLeast(l.outFreed, l.sent);
}

}  // namespace weft::coll::devring
