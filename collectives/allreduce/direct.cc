// SPDX-License-Identifier: Apache-2.0
// Direct all-reduce on one host (Note [Direct all-reduce]): every rank reduces its own segment by
// reading the other ranks' inputs straight from their memory, then copies the other segments
// straight from their owners' outputs. One copy of each byte where the FIFO ring makes two.
#include <algorithm>
#include <cstring>

#include "collectives/kernels/copy.h"
#include "collectives/kernels/reduce.h"
#include "collectives/operation.h"
#include "collectives/patterns/ring.h"
#include "collectives/peer_messages.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"
#include "common/log.h"

namespace weft::coll {
namespace {

// Note [Direct all-reduce]
// Needs Context::peerReads (every rank reads every peer's memory: Note [Peer reads]). Rank r owns
// segment r of the output (patterns::Segments). Steps, each a small message to every peer
// through the FIFOs:
//   1. announce: the addresses of this rank's input and output, with the call's collective,
//      count, datatype and op (a peer with another is a mismatched call: InvalidUsage, not a wild
//      read; the communicator is then unusable, as after any collective stopped halfway);
//   2. reduce segment r: for each chunk, out = in (op) peer 1's in (op) peer 2's in ..., each
//      peer's chunk read into a scratch buffer that stays in the cache (or loaded in place from
//      a thread rank of this process); then say "ready";
//   3. for each peer p that said ready, copy its segment p from its output into ours;
//   4. say "done" and wait for every peer's "done": a rank returns only when no peer still
//      reads its buffers, since the caller may change them as soon as the call returns.
// In place, a peer reads our segment p of the input while we may already write segment r: never
// the same bytes; and we overwrite our segment p only after p said ready, i.e. finished reading
// it. Each segment is reduced by one rank in one order, so every rank gets identical results.
// A rank that leaves by an error (a timeout, a peer gone) skips the done round: a peer process
// still reading its heap buffers then gets EFAULT (RemoteError), but a peer *thread* rank of the
// same process loads from them directly and may read freed memory if the caller frees them at
// once, and a peer that maps them (shared buffers) keeps its mapping, so it may still read them,
// and when pushing (Note [Shared all-reduce]) store into the output, after the failed call
// returned. Such a call's buffers must not be reused while the job's other ranks may still be in
// the call (docs/api.md). A failed call leaves the communicator unusable for all ranks anyway.
//
// Note [Shared all-reduce]
// The shared algorithm (Note [Shared algorithms]) runs where every rank's buffers are loadable
// and storable by every peer. Where every rank calls in place, or the message is large
// (kPushBytes), it pushes instead of pulling: rank r reduces each chunk of segment r from every
// rank's input into a cache-resident buffer and stores the result into every rank's output, its
// own included, so steps 2-3 become one pass with no ready round. Each output byte is written
// once, by its segment's owner, and each input byte read once: 2 bytes of memory traffic per byte
// of the message per rank, where pulling takes 2.5 at 2 ranks (the owner's output is read again
// by every peer). In place, rank r stores into a peer's segment r only after it read that chunk
// of the peer's input, and no one else reads it; those stores hit lines just loaded. Out of
// place they go around the cache (streaming stores), which pays only past the caches: on the
// development VM pushing out of place lost to pulling up to 16 MiB (2.8 against 4.0 GB/s at 2
// ranks) and won from 64 MiB (6.1 against 4.8 at 256 MiB), and in place won everywhere (8 against
// 5.5). Every rank decides from the addresses all announced, so all skip the ready round alike.
// The done round still holds every rank until no peer reads or writes its buffers.
class DirectAllReduceOp final : public PeerMessageOp {
 public:
  // `shared`: the shared algorithm, which hands the call off unless every rank's buffers are
  // loadable (Note [Shared algorithms]) and may then push (Note [Shared all-reduce]).
  DirectAllReduceOp(const Context& ctx, const CollArgs& a, bool shared)
      : PeerMessageOp(ctx, a, PeerAddress::of(ctx, a.send, a.recv, a.count * dtypeSize(a.dtype)), true, shared,
                      &directAllReduce()),
        elem_(dtypeSize(a.dtype)), segs_{a.count, ctx.size} {}

 private:
  void work() override {
    // Where the fallback is direct, the exchange so far is its start: pull, as it would.
    push_ = shared() && msgs_.allLoadable() && shouldPush();
    if (push_) {
      WEFT_LOG(Info, "%s: pushes into every rank's output", describe(args_).c_str());
      msgs_.skipReadyRound();
      reduceAndPush();
    } else {
      reduceOwnSegment();
    }
  }
  void peerReady(int peer) override {
    if (!push_) copySegmentOf(peer);  // pushed: nothing to fetch
  }
  void finished() override {
    if (streaming_) streamingFence();
  }

  // Chunk by chunk, so that each chunk's partial results stay in the cache (Avg's division too):
  // out = in (op) peer 1's in (op) peer 2's in ...
  void reduceOwnSegment() {
    const int r = ctx_.rank;
    const size_t begin = segs_.begin(r), length = segs_.length(r);
    auto* out = static_cast<std::byte*>(args_.recv) + begin * elem_;
    const auto* in = static_cast<const std::byte*>(args_.send) + begin * elem_;
    const ReduceOp op = args_.op == ReduceOp::Avg ? ReduceOp::Sum : args_.op;
    const size_t chunk = std::max<size_t>(1, kScratchBytes / elem_);
    for (size_t off = 0; off < length; off += chunk) {
      const size_t n = std::min(chunk, length - off);
      std::byte* const to = out + off * elem_;
      const std::byte* acc = in + off * elem_;
      for (int k = 1; k < ctx_.size; ++k) {
        const int p = (r + k) % ctx_.size;
        transport::Endpoint& link = ctx_.link(p);
        const uint64_t remote = msgs_.addressOf(p).send + (begin + off) * elem_;
        const std::byte* theirs = link.peerPointer(remote, n * elem_, msgs_.addressOf(p).sendShared);
        if (!theirs) {
          link.readPeer(remote, scratch(), n * elem_);
          theirs = scratch();
        }
        reduce::apply(op, args_.dtype, to, acc, theirs, n);
        acc = to;
      }
      if (args_.op == ReduceOp::Avg) reduce::divide(args_.dtype, to, n, ctx_.size);
    }
  }

  // Note [Shared all-reduce]: from what every rank announced, so alike everywhere.
  bool shouldPush() const {
    if (args_.count * elem_ >= kPushBytes) return true;
    for (int p = 0; p < ctx_.size; ++p) {
      if (p != ctx_.rank && msgs_.addressOf(p).send != msgs_.addressOf(p).recv) return false;
    }
    return args_.send == args_.recv;
  }

  // Segment r, chunk by chunk, reduced into `staged` and stored into every rank's output (through
  // the peer's mapping, or process_vm_writev where it failed); around the cache where that output
  // is not its input.
  void reduceAndPush() {
    const int r = ctx_.rank;
    const size_t begin = segs_.begin(r), length = segs_.length(r);
    const auto* in = static_cast<const std::byte*>(args_.send) + begin * elem_;
    auto* out = static_cast<std::byte*>(args_.recv) + begin * elem_;
    const ReduceOp op = args_.op == ReduceOp::Avg ? ReduceOp::Sum : args_.op;
    const size_t chunk = std::max<size_t>(1, kScratchBytes / elem_);
    std::byte* staged = threadScratch(2 * kScratchBytes) + kScratchBytes;
    for (size_t off = 0; off < length; off += chunk) {
      const size_t n = std::min(chunk, length - off), bytes = n * elem_, at = (begin + off) * elem_;
      const std::byte* acc = in + off * elem_;
      for (int k = 1; k < ctx_.size; ++k) {
        const int p = (r + k) % ctx_.size;
        transport::Endpoint& link = ctx_.link(p);
        const PeerAddress& theirs = msgs_.addressOf(p);
        const std::byte* from = link.peerPointer(theirs.send + at, bytes, theirs.sendShared);
        if (!from) {
          link.readPeer(theirs.send + at, scratch(), bytes);
          from = scratch();
        }
        reduce::apply(op, args_.dtype, staged, acc, from, n);
        acc = staged;
      }
      if (args_.op == ReduceOp::Avg) reduce::divide(args_.dtype, staged, n, ctx_.size);
      copyOut(out + off * elem_, staged, bytes, args_.send != args_.recv);
      for (int k = 1; k < ctx_.size; ++k) {
        const int p = (r + k) % ctx_.size;
        transport::Endpoint& link = ctx_.link(p);
        const PeerAddress& theirs = msgs_.addressOf(p);
        if (std::byte* to = link.peerPointer(theirs.recv + at, bytes, theirs.recvShared)) {
          copyOut(to, staged, bytes, theirs.send != theirs.recv);
        } else {
          link.writePeer(theirs.recv + at, staged, bytes);
        }
      }
    }
    streamingFence();  // before "done": peers return once they have every one
  }

  void copySegmentOf(int p) {
    const size_t bytes = segs_.length(p) * elem_, offset = segs_.begin(p) * elem_;
    if (bytes == 0) return;
    auto* out = static_cast<std::byte*>(args_.recv) + offset;
    transport::Endpoint& link = ctx_.link(p);
    const uint64_t remote = msgs_.addressOf(p).recv + offset;
    if (const std::byte* theirs = link.peerPointer(remote, bytes, msgs_.addressOf(p).recvShared)) {
      copyOut(out, theirs, bytes, streaming_);
    } else {
      link.readPeer(remote, out, bytes);
    }
  }

  // Peers' chunks land here: small enough to stay in the cache for the reduction that follows.
  static constexpr size_t kScratchBytes = 128 << 10;
  static std::byte* scratch() { return threadScratch(kScratchBytes); }

  const size_t elem_;
  const patterns::Segments segs_;
  bool push_ = false;  // decided at Work
  static constexpr size_t kPushBytes = size_t(64) << 20;
  // Large out-of-place outputs go around the cache (they are not read again here or by the
  // pushing peers).
  const bool streaming_ = args_.send != args_.recv && args_.count * elem_ >= Primitives::kStreamingBytes;
};

class DirectAllReduce final : public Algorithm {
 public:
  std::string_view name() const override { return "direct"; }
  CollKind kind() const override { return CollKind::AllReduce; }
  bool supports(const CollArgs&, const Context& ctx) const override { return ctx.peerReads; }
  // Three rounds of messages to every peer; each rank reads its segment of every peer's input
  // and every peer's segment of the output: 2(n-1)/n of the message, the ring's volume, but
  // copied once where the ring copies into a FIFO and out again.
  CostShape shape(int n) const override { return {3.0 * (n - 1), 2.0 * (n - 1) / n}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<DirectAllReduceOp>(ctx, args, false);
  }
};

// The same where every rank's buffers are loadable, the fallback's algorithm elsewhere.
class SharedAllReduce final : public Algorithm {
 public:
  std::string_view name() const override { return "shared"; }
  CollKind kind() const override { return CollKind::AllReduce; }
  bool supports(const CollArgs&, const Context& ctx) const override { return ctx.peerReads; }
  CostShape shape(int n) const override { return {3.0 * (n - 1), 2.0 * (n - 1) / n}; }
  bool handsOff() const override { return true; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<DirectAllReduceOp>(ctx, args, true);
  }
};

}  // namespace

const Algorithm& directAllReduce() {
  static const DirectAllReduce algo;
  return algo;
}

const Algorithm& sharedAllReduce() {
  static const SharedAllReduce algo;
  return algo;
}

}  // namespace weft::coll
