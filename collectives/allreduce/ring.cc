// SPDX-License-Identifier: Apache-2.0
// Ring all-reduce: a reduce-scatter then an all-gather around the ring, pipelined in chunks.
#include "collectives/patterns/ring.h"
#include "collectives/registry.h"
#include "collectives/round_op.h"

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
class RingAllReduceOp final : public RoundOp {
 public:
  RingAllReduceOp(const Context& ctx, const CollArgs& a)
      : RoundOp(ctx, ringEnds(ctx), a.dtype, a.op),
        args_(a), rank_(ctx.rank), size_(ctx.size), segs_{a.count, ctx.size},
        chunking_(segs_.longest(), prims_.maxChunkElements()), elem_(prims_.elementSize()) {
    prims_.setOutput(a.count * elem_, a.send == a.recv);
    // Out of place, the input is read-only and a finished output chunk is never written again
    // in the call: both may be sent from where they are (Note [Direct sends]).
    prims_.sendDirect(a.send != a.recv);
    schedule(chunking_.rounds, 2 * size_ - 1);
  }

 private:
  Step stepAt(size_t round, int p) const override {
    const int n = size_;
    Step s;
    int seg;
    if (p == 0) s.prim = Prim::Send, seg = rank_;
    else if (p < n - 1) s.prim = Prim::RecvReduceSend, seg = patterns::mod(rank_ - p, n);
    else if (p == n - 1) s.prim = Prim::RecvReduceCopySend, seg = patterns::mod(rank_ + 1, n);
    else if (p < 2 * n - 2) s.prim = Prim::RecvCopySend, seg = patterns::mod(rank_ + n - p, n);
    else s.prim = Prim::Recv, seg = patterns::mod(rank_ + 2, n);
    s.count = chunking_.length(round, segs_.length(seg));
    const size_t off = (segs_.begin(seg) + chunking_.offset(round)) * elem_;
    s.src = static_cast<const std::byte*>(args_.send) + off;
    s.dst = static_cast<std::byte*>(args_.recv) + off;
    return s;
  }

  const CollArgs& args_;
  const int rank_;
  const int size_;
  const patterns::Segments segs_;
  const patterns::Chunking chunking_;
  const size_t elem_;
};

class RingAllReduce final : public Algorithm {
 public:
  std::string_view name() const override { return "ring"; }
  CollKind kind() const override { return CollKind::AllReduce; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int n) const override { return {2.0 * (n - 1), 2.0 * (n - 1) / n}; }
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
