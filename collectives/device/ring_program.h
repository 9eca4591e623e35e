// SPDX-License-Identifier: Apache-2.0
// The device ring's schedule (Note [Device ring]), written once over a context that supplies the
// data movement: CUDA blocks in collectives/device/ring_cuda.cu, a host thread in ring_host.cc
// (the tests' device runtime runs it there, so the schedule is checked without a GPU).
#pragma once

#include "collectives/device/ring_job.h"

// Note [Device ring]
// All-reduce and broadcast between ranks that reach each other's device memory (CUDA IPC between
// processes, plain pointers between threads of one), each rank running one kernel per call on its
// own stream, as NCCL does. Every rank owns a workspace (ring_job.h) with, per channel, four
// inbound ports: from its ring predecessor, its tree parent and its two tree children. A port is
// a FIFO of `slots` slots and two counters, both in the reader's memory: `ready` (slots filled,
// raised by the writer) and `freed` (slots emptied, raised by the reader). A writer waits until
// the port has a free slot, writes the slot and raises `ready`; the reader waits for `ready`, uses
// the slot and raises `freed`. The counters never go back: every rank keeps, on the host, how
// many slots went through every rank's ports (PortTotals, from the calls alone, so writer and
// reader agree), and each kernel starts from there (RingJob::inBase, outBase): no call resets
// anything, calls follow each other on the stream with no host step between them, and the ring
// and the tree may take turns on a port (a tree's parent differs with its root).
// The buffer is cut into `channels` parts, one block each, with its own ports.
// Ring all-reduce: per iteration of n slices, the ring's reduce-scatter (n-1 steps: receive a
// partial sum, add this rank's input, send it on) and all-gather (n-1 steps: receive a final
// segment, keep it, send it on); the rank that completes a segment divides it for Avg. Ring
// broadcast: a chain from the root. Tree (a binary heap over the ranks counted from the root; rank
// 0 for all-reduce): all-reduce sends each slice up (children's partial sums plus this rank's
// input) and the total back down, the way down `slots - 1` slices behind the way up so both
// pipeline and neither fills while the other waits; broadcast goes down only. Ring: 2(n-1) steps
// per slice, bandwidth-optimal; tree: about 2 log2(n) steps, for small calls.
// Every slot carries the signature of the call that wrote it (its stamp, beside the FIFOs), and a
// reader compares it with its own call's unless WEFT_CHECK=0 (Note [Signatures]): a slot of
// another call (ranks that called different collectives, counts, datatypes, ops or roots, or a
// rank a call ahead) stops this rank's kernel and tells the host (RingJob::reports), which fails
// the communicator naming both calls, rather than reducing another call's bytes.
// A kernel ends once every reader emptied what it wrote (so a rank's workspace is quiet when its
// last kernel is done). A nonzero abort word (pinned host memory, set by weftCommAbort, destroy,
// a timeout, or a failed set-up) makes every wait give up: the kernel returns, output undefined.
namespace weft::coll::devring {

// A context is what runs one channel (a CUDA block, or a host thread); every member is called by
// all of its threads alike:
//   at(p)                        where this process reaches workspace address p
//   stopped()                    the abort word is set
//   waitAtLeast(counter, v)      until *counter >= v; false once stopped()
//   publish(counter, v)          *counter = v, after every store before it is visible
//   copy(dst, dst2, src, bytes)  into dst, and dst2 unless null (dst == src: dst2 only)
//   reduce(dst, dst2, a, b, n, final)  dst[i] = a[i] op b[i], divided by the rank count for Avg
//                                where final; also into dst2 unless null
//   uniform(v)                   thread 0's v, for all (a decision before a barrier)
//   putStamp(p, s)               the 16 bytes at p = s[0], s[1], visible by the next publish
//   readStamp(p, s)              s = the 16 bytes at p (a slot's stamp, after the wait for it)
//   reportMismatch(r, from, got) fills the report r (posted last) and sets the abort word
#if defined(__CUDACC__)
#define WEFT_RING_FN __device__ __forceinline__
#else
#define WEFT_RING_FN inline
#endif

// The two ends of a link, for one channel: what the reader holds (its own FIFO and counters)
// and what the writer holds (the reader's, through the table). Every thread of a block holds a
// copy.
struct Inbox {
  const unsigned char* fifo;
  const unsigned char* stamps;  // the slots' stamps
  const uint64_t* ready;  // raised by the writer
  uint64_t* freed;        // raised here
  uint64_t got;
  int from;               // the writer's rank
  uint32_t channel;
};
struct Outbox {
  unsigned char* fifo;     // the reader's
  unsigned char* stamps;   // the reader's
  uint64_t* ready;         // the reader's, raised here
  const uint64_t* freed;   // the reader's, polled here
  uint64_t sent;
  bool first;              // nothing sent yet in this call
};

WEFT_RING_FN uint64_t fifoOffset(const RingJob& j, int port, uint32_t c) {
  return kFifoOffset + (uint64_t(port) * j.geo.channels + c) * j.geo.slots * j.geo.slotBytes;
}

WEFT_RING_FN uint64_t stampOffset(const RingJob& j, int port, uint32_t c) {
  return stampsOffset(j.geo) + (uint64_t(port) * j.geo.channels + c) * j.geo.slots * kStampBytes;
}

// This rank's port `port` of channel c, written by rank `from`.
template <class Ctx>
WEFT_RING_FN Inbox inbox(Ctx& ctx, const RingJob& j, int port, uint32_t c, int from) {
  auto* ws = ctx.at(j.table->ws[j.rank]);
  auto* h = reinterpret_cast<WorkspaceHeader*>(ws);
  return Inbox{ws + fifoOffset(j, port, c), ws + stampOffset(j, port, c), &h->ready[port][c].value,
               &h->freed[port][c].value, j.inBase[port][c], from, c};
}
template <class Ctx>
WEFT_RING_FN Outbox outbox(Ctx& ctx, const RingJob& j, int to, int port, int out, uint32_t c) {
  auto* ws = ctx.at(j.table->ws[to]);
  auto* h = reinterpret_cast<WorkspaceHeader*>(ws);
  return Outbox{ws + fifoOffset(j, port, c), ws + stampOffset(j, port, c), &h->ready[port][c].value,
                &h->freed[port][c].value, j.outBase[out][c], true};
}

// The next slot to fill, once the reader has emptied it; nullptr when stopped. A call's first
// slot also waits until the port's last writer (of an earlier call: the tree's parent changes with
// its root) has raised `ready` for all of its slots, so that `ready` is only ever raised.
template <class Ctx>
WEFT_RING_FN unsigned char* sendSlot(Ctx& ctx, const RingJob& j, Outbox& o) {
  if (o.first) {
    if (!ctx.waitAtLeast(o.ready, o.sent)) return nullptr;
    o.first = false;
  }
  const uint64_t need = o.sent + 1 > j.geo.slots ? o.sent + 1 - j.geo.slots : 0;
  if (!ctx.waitAtLeast(o.freed, need)) return nullptr;
  return o.fifo + (o.sent % j.geo.slots) * j.geo.slotBytes;
}
// The slot from sendSlot is filled: stamps it with the call's signature and hands it over.
template <class Ctx>
WEFT_RING_FN void sent(Ctx& ctx, const RingJob& j, Outbox& o) {
  ctx.putStamp(o.stamps + (o.sent % j.geo.slots) * kStampBytes, j.stamp);
  ctx.publish(o.ready, ++o.sent);
}
// The next slot the writer filled; nullptr when stopped, or when another call wrote it (then
// reported, and this rank's kernel stops).
template <class Ctx>
WEFT_RING_FN const unsigned char* recvSlot(Ctx& ctx, const RingJob& j, Inbox& in) {
  if (!ctx.waitAtLeast(in.ready, in.got + 1)) return nullptr;
  const uint64_t k = in.got % j.geo.slots;
  if (j.check != 0) {
    uint64_t got[2];
    ctx.readStamp(in.stamps + k * kStampBytes, got);
    if (!ctx.uniform(got[0] == j.stamp[0] && got[1] == j.stamp[1])) {
      ctx.reportMismatch(&j.reports[in.channel], in.from, got);
      return nullptr;
    }
  }
  return in.fifo + k * j.geo.slotBytes;
}
template <class Ctx>
WEFT_RING_FN void received(Ctx& ctx, Inbox& in) {
  ctx.publish(in.freed, ++in.got);
}
// Once the reader has emptied every slot this rank wrote, no rank writes into this rank's
// memory for the call any more (the reader's `freed` is the last word): when a kernel ends, its
// workspace is quiet, which lets a communicator free it once its last kernel is done.
template <class Ctx>
WEFT_RING_FN bool drained(Ctx& ctx, const Outbox& o) {
  return ctx.waitAtLeast(o.freed, o.sent);
}

WEFT_RING_FN uint64_t granuleElems(const RingJob& j) { return j.elemSize >= kGranule ? 1 : kGranule / j.elemSize; }

template <class Ctx>
WEFT_RING_FN bool ringAllReduce(Ctx& ctx, const RingJob& j, uint64_t begin, uint64_t len, Inbox& l, Outbox& o) {
  const int n = j.size, r = j.rank;
  const uint64_t es = j.elemSize;
  const unsigned char* in = static_cast<const unsigned char*>(j.send) + begin * es;
  unsigned char* out = static_cast<unsigned char*>(j.recv) + begin * es;
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
    unsigned char* dst = sendSlot(ctx, j, o);
    if (dst == nullptr) return false;
    ctx.copy(dst, nullptr, in + off * es, cnt * es);
    sent(ctx, j, o);
    for (int s = 1; s < n - 1; ++s) {  // reduce-scatter: add this rank's part, pass it on
      seg((r - s + n) % n, &off, &cnt);
      const unsigned char* src = recvSlot(ctx, j, l);
      dst = src != nullptr ? sendSlot(ctx, j, o) : nullptr;
      if (dst == nullptr) return false;
      ctx.reduce(dst, nullptr, src, in + off * es, cnt, false);
      received(ctx, l);
      sent(ctx, j, o);
    }
    seg((r + 1) % n, &off, &cnt);  // the segment this rank completes
    const unsigned char* src = recvSlot(ctx, j, l);
    dst = src != nullptr ? sendSlot(ctx, j, o) : nullptr;
    if (dst == nullptr) return false;
    ctx.reduce(out + off * es, dst, src, in + off * es, cnt, true);
    received(ctx, l);
    sent(ctx, j, o);
    for (int t = 1; t < n - 1; ++t) {  // all-gather: keep each final segment, pass it on
      seg((r + 1 - t + n) % n, &off, &cnt);
      src = recvSlot(ctx, j, l);
      dst = src != nullptr ? sendSlot(ctx, j, o) : nullptr;
      if (dst == nullptr) return false;
      ctx.copy(out + off * es, dst, src, cnt * es);
      received(ctx, l);
      sent(ctx, j, o);
    }
    seg((r + 2) % n, &off, &cnt);
    src = recvSlot(ctx, j, l);
    if (src == nullptr) return false;
    ctx.copy(out + off * es, nullptr, src, cnt * es);
    received(ctx, l);
  }
  return true;
}

template <class Ctx>
WEFT_RING_FN bool ringBroadcast(Ctx& ctx, const RingJob& j, uint64_t begin, uint64_t len, Inbox& l, Outbox& o) {
  const int n = j.size;
  const uint64_t es = j.elemSize;
  const int pos = (j.rank - j.root + n) % n;
  const unsigned char* in = static_cast<const unsigned char*>(j.send) + begin * es;
  unsigned char* out = static_cast<unsigned char*>(j.recv) + begin * es;
  const uint64_t slice = sliceElems(j);
  for (uint64_t at = 0; at < len; at += slice) {
    const uint64_t bytes = (len - at < slice ? len - at : slice) * es;
    if (pos == 0) {
      unsigned char* dst = sendSlot(ctx, j, o);
      if (dst == nullptr) return false;
      ctx.copy(dst, in != out ? out + at * es : nullptr, in + at * es, bytes);
      sent(ctx, j, o);
    } else if (pos < n - 1) {
      const unsigned char* src = recvSlot(ctx, j, l);
      unsigned char* dst = src != nullptr ? sendSlot(ctx, j, o) : nullptr;
      if (dst == nullptr) return false;
      ctx.copy(out + at * es, dst, src, bytes);
      received(ctx, l);
      sent(ctx, j, o);
    } else {
      const unsigned char* src = recvSlot(ctx, j, l);
      if (src == nullptr) return false;
      ctx.copy(out + at * es, nullptr, src, bytes);
      received(ctx, l);
    }
  }
  return true;
}

// The tree's links for one channel, from this rank.
struct TreeLinks {
  int parent, children;  // parent rank (-1 at the root), number of children (0-2)
  Inbox fromParent, fromChild[2];
  Outbox toParent, toChild[2];
};

// Slice k goes down the tree: from the root's `src` (else the parent's slot) into `out`, and on
// to the children.
template <class Ctx>
WEFT_RING_FN bool treeDown(Ctx& ctx, const RingJob& j, TreeLinks& t, const unsigned char* src, unsigned char* out,
                           uint64_t bytes) {
  const bool root = t.parent < 0;
  if (!root) {
    src = recvSlot(ctx, j, t.fromParent);
    if (src == nullptr) return false;
  }
  unsigned char* d0 = t.children > 0 ? sendSlot(ctx, j, t.toChild[0]) : nullptr;
  unsigned char* d1 = t.children > 1 ? sendSlot(ctx, j, t.toChild[1]) : nullptr;
  if ((t.children > 0 && d0 == nullptr) || (t.children > 1 && d1 == nullptr)) return false;
  if (t.children > 0) ctx.copy(d0, d1, src, bytes);
  if (out != src) ctx.copy(out, nullptr, src, bytes);
  if (!root) received(ctx, t.fromParent);
  for (int i = 0; i < t.children; ++i) sent(ctx, j, t.toChild[i]);
  return true;
}

// Slice k goes up the tree: the children's partial sums and this rank's input, to the parent (the
// root keeps the total, divided for Avg, in `out`). `out` serves as scratch on the way.
template <class Ctx>
WEFT_RING_FN bool treeUp(Ctx& ctx, const RingJob& j, TreeLinks& t, const unsigned char* in, unsigned char* out,
                         uint64_t cnt) {
  const bool root = t.parent < 0;
  const uint64_t bytes = cnt * j.elemSize;
  // Child 1 is not read once child 0's slot stopped the call (a second report would overwrite
  // the first's).
  const unsigned char* c0 = t.children > 0 ? recvSlot(ctx, j, t.fromChild[0]) : nullptr;
  if (t.children > 0 && c0 == nullptr) return false;
  const unsigned char* c1 = t.children > 1 ? recvSlot(ctx, j, t.fromChild[1]) : nullptr;
  if (t.children > 1 && c1 == nullptr) return false;
  unsigned char* up = root ? out : sendSlot(ctx, j, t.toParent);
  if (up == nullptr) return false;
  if (t.children == 0) {
    ctx.copy(up, nullptr, in, bytes);
  } else if (t.children == 1) {
    ctx.reduce(up, nullptr, c0, in, cnt, root);
  } else {
    ctx.reduce(out, nullptr, c0, in, cnt, false);
    ctx.reduce(up, nullptr, c1, out, cnt, root);
  }
  for (int i = 0; i < t.children; ++i) received(ctx, t.fromChild[i]);
  if (!root) sent(ctx, j, t.toParent);
  return true;
}

// All-reduce up a binary tree rooted at rank 0 and back down, slice by slice; the way down runs
// `slots - 1` slices behind the way up, so that the slices pipeline and neither way's FIFOs can
// fill up while the other waits. Broadcast: the way down alone, from its root.
template <class Ctx>
WEFT_RING_FN bool tree(Ctx& ctx, const RingJob& j, uint64_t begin, uint64_t len, TreeLinks& t) {
  const uint64_t es = j.elemSize, slice = sliceElems(j);
  const unsigned char* in = static_cast<const unsigned char*>(j.send) + begin * es;
  unsigned char* out = static_cast<unsigned char*>(j.recv) + begin * es;
  const uint64_t slices = (len + slice - 1) / slice;
  auto count = [&](uint64_t k) { return len - k * slice < slice ? len - k * slice : slice; };
  if (j.kind == RingKind::Broadcast) {
    for (uint64_t k = 0; k < slices; ++k) {
      if (!treeDown(ctx, j, t, in + k * slice * es, out + k * slice * es, count(k) * es)) return false;
    }
    return true;
  }
  const uint64_t lag = j.geo.slots - 1;
  for (uint64_t k = 0; k < slices + lag; ++k) {
    if (k < slices && !treeUp(ctx, j, t, in + k * slice * es, out + k * slice * es, count(k))) return false;
    if (k >= lag) {
      const uint64_t d = k - lag;
      if (!treeDown(ctx, j, t, out + d * slice * es, out + d * slice * es, count(d) * es)) return false;
    }
  }
  return true;
}

// Channel c of job j: false when it stopped early (aborted, or the link never came up).
template <class Ctx>
WEFT_RING_FN bool runChannel(Ctx& ctx, const RingJob& j, uint32_t c) {
  if (!ctx.uniform(j.table->state == LinkTable::Ready && !ctx.stopped())) return false;
  uint64_t begin = 0, len = 0;
  channelRange(j, c, &begin, &len);
  const uint64_t es = j.elemSize;
  if (j.size == 1 || len == 0) {
    const unsigned char* in = static_cast<const unsigned char*>(j.send) + begin * es;
    unsigned char* out = static_cast<unsigned char*>(j.recv) + begin * es;
    if (in != out) ctx.copy(out, nullptr, in, len * es);
    return true;
  }
  if (j.shape == Shape::Ring) {
    Inbox l = inbox(ctx, j, kFromPred, c, (j.rank + j.size - 1) % j.size);
    Outbox o = outbox(ctx, j, (j.rank + 1) % j.size, kFromPred, kToSucc, c);
    const bool done = j.kind == RingKind::AllReduce ? ringAllReduce(ctx, j, begin, len, l, o)
                                                    : ringBroadcast(ctx, j, begin, len, l, o);
    return done && drained(ctx, o);
  }
  TreeLinks t{};
  t.parent = parentOf(j, j.rank);
  if (t.parent >= 0) {
    t.fromParent = inbox(ctx, j, kFromParent, c, t.parent);
    // This rank is its parent's child 0 or 1.
    const int index = childOf(j, t.parent, 0) == j.rank ? 0 : 1;
    if (j.kind == RingKind::AllReduce) t.toParent = outbox(ctx, j, t.parent, kFromChild0 + index, kToParent, c);
  }
  for (int i = 0; i < 2; ++i) {
    const int child = childOf(j, j.rank, i);
    if (child < 0) break;
    t.children = i + 1;
    t.toChild[i] = outbox(ctx, j, child, kFromParent, kToChild0 + i, c);
    if (j.kind == RingKind::AllReduce) t.fromChild[i] = inbox(ctx, j, kFromChild0 + i, c, child);
  }
  if (!tree(ctx, j, begin, len, t)) return false;
  for (int i = 0; i < t.children; ++i) {
    if (!drained(ctx, t.toChild[i])) return false;
  }
  return t.parent < 0 || j.kind != RingKind::AllReduce || drained(ctx, t.toParent);
}

}  // namespace weft::coll::devring
