// SPDX-License-Identifier: Apache-2.0
// Recursive-halving reduce-scatter for power-of-two rank counts: log2(size) pairwise exchanges,
// each half the size of the one before, instead of the ring's size-1 steps.
#include <array>
#include <vector>

#include "collectives/kernels/reduce.h"
#include "collectives/operation.h"
#include "collectives/primitives.h"
#include "collectives/patterns/ring.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// Rank r starts with the partial sums of all size blocks (its input). At the exchange with mask
// m (size/2, size/4, ..., 1) it holds those of the 2m blocks that agree with it on every bit
// above m, sends the half whose bit m differs from its own to r^m, and reduces the half it keeps
// with r^m's; after the last exchange it keeps its own block, complete.
struct Exchange {
  transport::Endpoint* peer = nullptr;
  const std::byte* send = nullptr;     // the half given away
  const std::byte* partial = nullptr;  // the half kept, before this exchange
  std::byte* dst = nullptr;            // the half kept, after
  size_t count = 0;                    // elements of either half
};

class RecursiveHalvingOp final : public Operation {
 public:
  RecursiveHalvingOp(const Context& ctx, const CollArgs& a)
      : args_(a),
        // Avg sums on the way and divides once at the end (RecvReduceCopy would divide each time).
        prims_(ctx, nullptr, nullptr, a.dtype, a.op == ReduceOp::Avg ? ReduceOp::Sum : a.op),
        elem_(prims_.elementSize()), nranks_(ctx.size) {
    plan(ctx);
  }

  Progress advance() override {
    bool advanced = false;
    const size_t chunk = prims_.maxChunkElements();
    while (phase_ < nPhases_) {
      const Exchange& ex = exchanges_[size_t(phase_)];
      while (sent_ < ex.count) {
        const size_t len = std::min(chunk, ex.count - sent_);
        if (!prims_.tryStepWith(Prim::Send, nullptr, ex.peer, ex.send + sent_ * elem_, nullptr, len)) break;
        sent_ += len;
        advanced = true;
      }
      while (received_ < ex.count) {
        const size_t len = std::min(chunk, ex.count - received_);
        const size_t off = received_ * elem_;
        if (!prims_.tryStepWith(Prim::RecvReduceCopy, ex.peer, nullptr, ex.partial + off, ex.dst + off, len)) break;
        received_ += len;
        advanced = true;
      }
      if (sent_ < ex.count || received_ < ex.count) return advanced ? Progress::Advanced : Progress::Blocked;
      ++phase_;
      sent_ = received_ = 0;
    }
    if (!divided_ && args_.op == ReduceOp::Avg) reduce::divide(args_.dtype, args_.recv, args_.count, nranks_);
    divided_ = true;
    return Progress::Done;
  }
  PeerSet blockedOn() const override { return prims_.blockedPeers(); }
  std::string waitingFor() const override {
    return prims_.waitingFor() + " (exchange " + std::to_string(phase_ + 1) + " of " + std::to_string(nPhases_) + ")";
  }

 private:
  void plan(const Context& ctx) {
    const int r = ctx.rank, n = ctx.size;
    const size_t block = args_.count * elem_;
    const auto* input = static_cast<const std::byte*>(args_.send);
    // The one per-call buffer: the kept half after the first exchange (size/2 blocks), since the
    // input is read-only and the output holds one block. Not needed with two ranks.
    if (n > 2) scratch_.resize(size_t(n / 2) * block);
    const int base = r & (n / 2);  // the first block kept after the first exchange
    auto partialAt = [&](int b, bool first) {
      return first ? input + size_t(b) * block : scratch_.data() + size_t(b - base) * block;
    };
    for (int m = n / 2; m >= 1; m >>= 1) {
      const int start = r & ~(2 * m - 1);
      const int kept = start | (r & m), given = start | ((r ^ m) & m);
      const bool first = m == n / 2;
      std::byte* dst = m == 1 ? static_cast<std::byte*>(args_.recv) : scratch_.data() + size_t(kept - base) * block;
      exchanges_[size_t(nPhases_++)] =
          Exchange{&ctx.link(r ^ m), partialAt(given, first), partialAt(kept, first), dst, size_t(m) * args_.count};
    }
  }

  const CollArgs& args_;
  Primitives prims_;
  const size_t elem_;
  const int nranks_;
  std::vector<std::byte> scratch_;
  std::array<Exchange, 32> exchanges_{};
  int nPhases_ = 0;
  int phase_ = 0;
  size_t sent_ = 0, received_ = 0;
  bool divided_ = false;
};

class RecursiveHalvingReduceScatter final : public Algorithm {
 public:
  std::string_view name() const override { return "recursive_halving"; }
  CollKind kind() const override { return CollKind::ReduceScatter; }
  bool supports(const CollArgs&, const Context& ctx) const override { return (ctx.size & (ctx.size - 1)) == 0; }
  CostShape shape(int n) const override { return {double(patterns::ceilLog2(n)), double(n - 1)}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<RecursiveHalvingOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& recursiveHalvingReduceScatter() {
  static const RecursiveHalvingReduceScatter algo;
  return algo;
}

}  // namespace weft::coll
