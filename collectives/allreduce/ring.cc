// SPDX-License-Identifier: Apache-2.0
// Ring all-reduce: a reduce-scatter then an all-gather around the ring, pipelined in chunks.
#include "collectives/operation.h"
#include "collectives/patterns/ring.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// Note [Ring all-reduce schedule]
// The buffer is cut into `size` segments. In each chunk round, rank r performs 2*size-1 steps on
// the round's chunk of each segment (all indices mod size):
//   p = 0               Send               segment r      (own input)
//   p = 1 .. size-2     RecvReduceSend     segment r-p    (partial sums travel on)
//   p = size-1          RecvReduceCopySend segment r+1    (complete: keep it, start the gather)
//   p = size .. 2size-3 RecvCopySend       segment r+size-p
//   p = 2size-2         Recv               segment r+2
// The previous rank sends, at the same step p, exactly the segment we expect at p+1, so the
// FIFOs carry chunks in the order they are consumed; two slots per FIFO rule out deadlock.
// Rounds follow each other without a barrier: the FIFOs pipeline them. In-place calls are safe
// because a round reads a segment's chunk as input before any step writes that chunk's output.
class RingAllReduceOp final : public Operation {
 public:
  RingAllReduceOp(const Context& ctx, const CollArgs& a)
      : args_(a),
        rank_(ctx.rank),
        size_(ctx.size),
        prims_(&ctx.link(patterns::ringPrev(ctx.rank, ctx.size)),
               &ctx.link(patterns::ringNext(ctx.rank, ctx.size)), a.dtype, a.op, ctx.size,
               ctx.slotBytes()),
        segs_{a.count, ctx.size},
        chunking_(segs_.longest(), prims_.maxChunkElements()),
        elem_(prims_.elementSize()) {
    prims_.setOutput(a.count * elem_, a.send == a.recv);
  }

  Progress advance() override {
    bool advanced = false;
    const int steps = 2 * size_ - 1;
    while (round_ < chunking_.rounds) {
      const auto [prim, seg] = stepAt(step_);
      const size_t len = chunking_.length(round_, segs_.length(seg));
      if (len > 0) {
        const size_t off = (segs_.begin(seg) + chunking_.offset(round_)) * elem_;
        const auto* src = static_cast<const std::byte*>(args_.send) + off;
        auto* dst = static_cast<std::byte*>(args_.recv) + off;
        if (!prims_.tryStep(prim, src, dst, len)) return advanced ? Progress::Advanced : Progress::Blocked;
        advanced = true;
      }
      if (++step_ == steps) {
        step_ = 0;
        ++round_;
      }
    }
    prims_.finish();
    return Progress::Done;
  }

  int blockedOn() const override { return prims_.blockedPeer(); }

  std::string waitingFor() const override {
    return prims_.waitingFor() + " (round " + std::to_string(round_ + 1) + " of " +
           std::to_string(chunking_.rounds) + ", step " + std::to_string(step_ + 1) + " of " +
           std::to_string(2 * size_ - 1) + ")";
  }

 private:
  std::pair<Prim, int> stepAt(int p) const {
    const int n = size_;
    if (p == 0) return {Prim::Send, rank_};
    if (p < n - 1) return {Prim::RecvReduceSend, patterns::mod(rank_ - p, n)};
    if (p == n - 1) return {Prim::RecvReduceCopySend, patterns::mod(rank_ + 1, n)};
    if (p < 2 * n - 2) return {Prim::RecvCopySend, patterns::mod(rank_ + n - p, n)};
    return {Prim::Recv, patterns::mod(rank_ + 2, n)};
  }

  const CollArgs& args_;
  const int rank_;
  const int size_;
  Primitives prims_;
  patterns::Segments segs_;
  patterns::Chunking chunking_;
  const size_t elem_;
  size_t round_ = 0;
  int step_ = 0;
};

class RingAllReduce final : public Algorithm {
 public:
  std::string_view name() const override { return "ring"; }
  CollKind kind() const override { return CollKind::AllReduce; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<RingAllReduceOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& ringAllReduce() {
  static const RingAllReduce algo;
  return algo;
}

}  // namespace weft::coll
