// SPDX-License-Identifier: Apache-2.0
// Hierarchical all-reduce for jobs over several hosts: reduce-scatter inside each host, all-reduce
// across hosts among the ranks that hold the same slice, all-gather inside each host. Each byte
// crosses between hosts once per host instead of once per rank.
#include <string>
#include <vector>

#include "collectives/kernels/reduce.h"
#include "collectives/operation.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// A subset of the communicator's ranks seen as a communicator of its own: the existing ring
// algorithms run on it unchanged. `members` are parent ranks in sub-rank order.
struct SubGroup {
  std::vector<int> members;
  std::vector<transport::Endpoint*> links;
  Context ctx;

  void build(const Context& parent) {
    links.clear();
    for (int r : members) links.push_back(r == parent.rank ? nullptr : parent.links[size_t(r)]);
    ctx = parent;
    ctx.size = int(members.size());
    for (size_t i = 0; i < members.size(); ++i) {
      if (members[i] == parent.rank) ctx.rank = int(i);
    }
    ctx.links = links;
    ctx.hostOf = {};
    ctx.hostCount = 1;
    ctx.ranksPerHost = 0;
    ctx.chunkBytes = parent.slotBytes();  // the parent's: every rank cuts alike
  }
};

// Note [Hierarchical all-reduce]
// With L ranks on every host, the first L*floor(count/L) elements are cut into L slices. Phase 1:
// ring reduce-scatter inside the host leaves local rank i with its host's sum of slice i (in its
// output, at slice i). Phase 2: ring all-reduce of slice i among the i-th ranks of every host.
// Phase 3: ring all-gather inside the host (in place) spreads the slices. Phase 4: the last
// count mod L elements, all-reduced by the ring over the whole communicator. Avg sums throughout
// and divides slice i once after phase 2. The phases run one after another on every rank, so the
// messages of one phase on a link all precede those of the next, on both of its ends.
class HierarchicalAllReduceOp final : public Operation {
 public:
  HierarchicalAllReduceOp(const Context& ctx, const CollArgs& a) : args_(a), nranks_(ctx.size) {
    const int host = ctx.hostOf[size_t(ctx.rank)];
    for (int r = 0; r < ctx.size; ++r) {
      if (ctx.hostOf[size_t(r)] == host) local_.members.push_back(r);
    }
    local_.build(ctx);
    const int index = local_.ctx.rank;
    for (int r = 0; r < ctx.size; ++r) {
      if (localIndex(ctx, r) == index) cross_.members.push_back(r);
    }
    cross_.build(ctx);
    whole_ = ctx;
    const size_t parts = local_.members.size();
    slice_ = a.count / parts;
    tail_ = a.count - slice_ * parts;
    const size_t elem = dtypeSize(a.dtype);
    auto* out = static_cast<std::byte*>(a.recv);
    const ReduceOp sum = a.op == ReduceOp::Avg ? ReduceOp::Sum : a.op;
    mine_ = out + size_t(index) * slice_ * elem;
    phases_[0] = {CollKind::ReduceScatter, a.send, mine_, slice_, a.dtype, sum, 0, a.seq};
    phases_[1] = {CollKind::AllReduce, mine_, mine_, slice_, a.dtype, sum, 0, a.seq};
    phases_[2] = {CollKind::AllGather, mine_, out, slice_, a.dtype, sum, 0, a.seq};
    const size_t done = slice_ * parts * elem;
    phases_[3] = {CollKind::AllReduce, static_cast<const std::byte*>(a.send) + done, out + done, tail_, a.dtype,
                  a.op, 0, a.seq};
  }

  Progress advance() override {
    bool advanced = false;
    for (; phase_ < kPhases; ++phase_) {
      if (!op_) {
        if (phases_[phase_].count == 0) continue;
        op_ = algorithm(phase_).start(group(phase_), phases_[phase_]);
      }
      const Progress p = op_->advance();
      if (p != Progress::Done) return advanced || p == Progress::Advanced ? Progress::Advanced : Progress::Blocked;
      advanced = true;
      op_.reset();
      if (phase_ == 1 && args_.op == ReduceOp::Avg) reduce::divide(args_.dtype, mine_, slice_, nranks_);
    }
    return Progress::Done;
  }
  // Endpoints know their peers by communicator rank, so the phases' answers need no mapping.
  PeerSet blockedOn() const override { return op_ ? op_->blockedOn() : PeerSet{}; }
  std::string waitingFor() const override {
    static const char* const kNames[] = {"reduce-scatter in the host", "all-reduce across hosts",
                                         "all-gather in the host", "all-reduce of the remainder"};
    std::string ranks;
    if (phase_ < 3) {
      for (int r : (phase_ == 1 ? cross_ : local_).members) ranks += (ranks.empty() ? "" : ",") + std::to_string(r);
    }
    return std::string("phase ") + kNames[phase_] + (ranks.empty() ? "" : " among ranks " + ranks) +
           ": " + (op_ ? op_->waitingFor() : "nothing");
  }

 private:
  static constexpr size_t kPhases = 4;
  static int localIndex(const Context& ctx, int r) {
    int i = 0;
    for (int q = 0; q < r; ++q) i += ctx.hostOf[size_t(q)] == ctx.hostOf[size_t(r)];
    return i;
  }
  const Algorithm& algorithm(size_t phase) const {
    return phase == 0 ? ringReduceScatter() : phase == 2 ? ringAllGather() : ringAllReduce();
  }
  const Context& group(size_t phase) const { return phase == 1 ? cross_.ctx : phase == 3 ? whole_ : local_.ctx; }

  const CollArgs& args_;
  const int nranks_;
  SubGroup local_, cross_;
  Context whole_;
  size_t slice_ = 0, tail_ = 0;
  std::byte* mine_ = nullptr;
  CollArgs phases_[kPhases];
  size_t phase_ = 0;
  std::unique_ptr<Operation> op_;
};

class HierarchicalAllReduce final : public Algorithm {
 public:
  std::string_view name() const override { return "hierarchical"; }
  CollKind kind() const override { return CollKind::AllReduce; }
  // Several hosts, each with the same number (at least 2) of ranks.
  bool supports(const CollArgs&, const Context& ctx) const override {
    return ctx.hostCount >= 2 && ctx.ranksPerHost >= 2;
  }
  // As the ring over all ranks: 2(L-1) + 2(H-1) ring steps is below 2(n-1), but the tuner
  // only scales measured constants by ratios, and none are shipped for jobs over several hosts.
  CostShape shape(int n) const override { return {2.0 * (n - 1), 2.0 * (n - 1) / n}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return std::make_unique<HierarchicalAllReduceOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& hierarchicalAllReduce() {
  static const HierarchicalAllReduce algo;
  return algo;
}

}  // namespace weft::coll
