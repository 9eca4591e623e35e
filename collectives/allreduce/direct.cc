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
// still reading its buffers then gets EFAULT (RemoteError), but a peer *thread* rank of the same
// process loads from them directly and may read freed memory if the caller frees them at once.
// Thread ranks share a fate anyway (a failed call leaves the communicator unusable for all).
class DirectAllReduceOp final : public Operation {
 public:
  // `shared`: the shared algorithm, which goes on only where every rank's buffers are loadable
  // (Note [Shared algorithms]).
  DirectAllReduceOp(const Context& ctx, const CollArgs& a, bool shared)
      : ctx_(ctx), args_(a), elem_(dtypeSize(a.dtype)), segs_{a.count, ctx.size},
        msgs_(ctx, a, PeerAddress::of(ctx, a.send, a.recv, a.count * elem_)), shared_(shared) {}

  Progress advance() override {
    if (handOff_.active()) return handOff_.advance();
    bool advanced = false;
    for (;;) {
      PeerMessages::Step s = msgs_.step();
      advanced = advanced || s.advanced;
      if (s.blocked) return advanced ? Progress::Advanced : Progress::Blocked;
      switch (s.stage) {
        case PeerMessages::Stage::Work:
          if (shared_ && handOff_.start(ctx_, args_, msgs_, &directAllReduce())) return handOff_.advance(advanced);
          reduceOwnSegment();
          msgs_.workDone();
          advanced = true;
          break;
        case PeerMessages::Stage::PeerReady:
          copySegmentOf(s.peer);
          advanced = true;
          break;
        case PeerMessages::Stage::Finished:
          if (streaming_) streamingFence();
          return Progress::Done;
      }
    }
  }
  int blockedOn() const override { return handOff_.active() ? handOff_.blockedOn() : msgs_.blockedOn(); }
  std::string waitingFor() const override { return handOff_.active() ? handOff_.waitingFor() : msgs_.waitingFor(); }

 private:
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

  const Context& ctx_;
  const CollArgs& args_;
  const size_t elem_;
  const patterns::Segments segs_;
  PeerMessages msgs_;
  const bool shared_;
  // Large out-of-place outputs go around the cache (they are not read again here).
  const bool streaming_ = args_.send != args_.recv && args_.count * elem_ >= Primitives::kStreamingBytes;
  HandOff handOff_;
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
