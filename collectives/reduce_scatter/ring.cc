// SPDX-License-Identifier: Apache-2.0
// Ring reduce-scatter: the first half of the ring all-reduce, ending with rank r holding segment r.
#include "collectives/patterns/ring.h"
#include "collectives/registry.h"
#include "collectives/round_op.h"

namespace weft::coll {
namespace {

// The send buffer holds size segments of `count` elements. Per chunk round, rank r does
//   p = 0            Send           segment r-1
//   p = 1 .. size-2  RecvReduceSend segment r-1-p
//   p = size-1       RecvReduceCopy segment r, into the receive buffer
// which is Note [Ring all-reduce schedule] shifted by one so that each rank ends with its own.
class RingReduceScatterOp final : public RoundOp {
 public:
  RingReduceScatterOp(const Context& ctx, const CollArgs& a)
      : RoundOp(ctx, ringEnds(ctx), a.dtype, a.op),
        args_(a), rank_(ctx.rank), size_(ctx.size), chunking_(a.count, prims_.maxChunkElements()),
        elem_(prims_.elementSize()) {
    const auto* own = static_cast<const std::byte*>(a.send) + size_t(ctx.rank) * a.count * elem_;
    prims_.setOutput(a.count * elem_, own == a.recv);
    schedule(chunking_.rounds, size_);
  }

 private:
  Step stepAt(size_t round, int p) const override {
    const int seg = patterns::mod(rank_ - 1 - p, size_);
    Step s;
    s.prim = p == 0 ? Prim::Send : p < size_ - 1 ? Prim::RecvReduceSend : Prim::RecvReduceCopy;
    s.count = chunking_.length(round, args_.count);
    const size_t off = chunking_.offset(round) * elem_;
    s.src = static_cast<const std::byte*>(args_.send) + size_t(seg) * args_.count * elem_ + off;
    s.dst = static_cast<std::byte*>(args_.recv) + off;
    return s;
  }

  const CollArgs& args_;
  const int rank_, size_;
  const patterns::Chunking chunking_;
  const size_t elem_;
};

class RingReduceScatter final : public Algorithm {
 public:
  std::string_view name() const override { return "ring"; }
  CollKind kind() const override { return CollKind::ReduceScatter; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int n) const override { return {double(n - 1), double(n - 1)}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<RingReduceScatterOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& ringReduceScatter() {
  static const RingReduceScatter algo;
  return algo;
}

}  // namespace weft::coll
