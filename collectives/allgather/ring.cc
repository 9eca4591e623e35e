// SPDX-License-Identifier: Apache-2.0
// Ring all-gather: each rank's block travels once around the ring, copied out at every stop.
#include "collectives/patterns/ring.h"
#include "collectives/registry.h"
#include "collectives/round_op.h"

namespace weft::coll {
namespace {

// Per chunk round, rank r does
//   p = 0            Send its own block (and copies it to block r of the output, out of place)
//   p = 1 .. size-2  RecvCopySend block r-p
//   p = size-1       Recv block r+1
class RingAllGatherOp final : public RoundOp {
 public:
  RingAllGatherOp(const Context& ctx, const CollArgs& a)
      : RoundOp(ctx, ringEnds(ctx), a.dtype, a.op),
        args_(a), rank_(ctx.rank), size_(ctx.size), chunking_(a.count, prims_.maxChunkElements()),
        elem_(prims_.elementSize()) {
    prims_.setOutput(a.count * elem_ * size_t(ctx.size), false);
    schedule(chunking_.rounds, size_);
  }

 private:
  Step stepAt(size_t round, int p) const override {
    const int block = patterns::mod(rank_ - p, size_);
    Step s;
    s.prim = p == 0 ? Prim::Send : p < size_ - 1 ? Prim::RecvCopySend : Prim::Recv;
    s.count = chunking_.length(round, args_.count);
    const size_t off = chunking_.offset(round) * elem_;
    s.src = static_cast<const std::byte*>(args_.send) + off;
    s.dst = static_cast<std::byte*>(args_.recv) + size_t(block) * args_.count * elem_ + off;
    s.copyLocal = p == 0 && s.src != s.dst;
    return s;
  }

  const CollArgs& args_;
  const int rank_, size_;
  const patterns::Chunking chunking_;
  const size_t elem_;
};

class RingAllGather final : public Algorithm {
 public:
  std::string_view name() const override { return "ring"; }
  CollKind kind() const override { return CollKind::AllGather; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int n) const override { return {double(n - 1), double(n - 1)}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<RingAllGatherOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& ringAllGather() {
  static const RingAllGather algo;
  return algo;
}

}  // namespace weft::coll
