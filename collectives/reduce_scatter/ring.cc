// SPDX-License-Identifier: Apache-2.0
// Ring reduce-scatter: the first half of the ring all-reduce, ending with rank r holding segment r.
#include "collectives/operation.h"
#include "collectives/patterns/ring.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// The send buffer holds size segments of `count` elements. Per chunk round, rank r does
//   p = 0            Send           segment r-1
//   p = 1 .. size-2  RecvReduceSend segment r-1-p
//   p = size-1       RecvReduceCopy segment r, into the receive buffer
// which is Note [Ring all-reduce schedule] shifted by one so that each rank ends with its own.
class RingReduceScatterOp final : public Operation {
 public:
  RingReduceScatterOp(const Context& ctx, const CollArgs& a)
      : args_(a), rank_(ctx.rank), size_(ctx.size),
        prims_(&ctx.link(patterns::ringPrev(ctx.rank, ctx.size)),
               &ctx.link(patterns::ringNext(ctx.rank, ctx.size)), a.dtype, a.op, ctx.size, ctx.slotBytes()),
        chunking_(a.count, prims_.maxChunkElements()), elem_(prims_.elementSize()) {
    const auto* own = static_cast<const std::byte*>(a.send) + size_t(ctx.rank) * a.count * elem_;
    prims_.setOutput(a.count * elem_, own == a.recv);
  }

  Progress advance() override {
    bool advanced = false;
    while (round_ < chunking_.rounds) {
      const int seg = patterns::mod(rank_ - 1 - step_, size_);
      const Prim prim = step_ == 0 ? Prim::Send : step_ < size_ - 1 ? Prim::RecvReduceSend : Prim::RecvReduceCopy;
      const size_t len = chunking_.length(round_, args_.count);
      const size_t off = chunking_.offset(round_) * elem_;
      const auto* src = static_cast<const std::byte*>(args_.send) + size_t(seg) * args_.count * elem_ + off;
      auto* dst = static_cast<std::byte*>(args_.recv) + off;
      if (!prims_.tryStep(prim, src, dst, len)) return advanced ? Progress::Advanced : Progress::Blocked;
      advanced = true;
      if (++step_ == size_) {
        step_ = 0;
        ++round_;
      }
    }
    prims_.finish();
    return Progress::Done;
  }
  int blockedOn() const override { return prims_.blockedPeer(); }
  std::string waitingFor() const override {
    return prims_.waitingFor() + " (round " + std::to_string(round_ + 1) + ", step " + std::to_string(step_ + 1) + ")";
  }

 private:
  const CollArgs& args_;
  const int rank_, size_;
  Primitives prims_;
  patterns::Chunking chunking_;
  const size_t elem_;
  size_t round_ = 0;
  int step_ = 0;
};

class RingReduceScatter final : public Algorithm {
 public:
  std::string_view name() const override { return "ring"; }
  CollKind kind() const override { return CollKind::ReduceScatter; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
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
