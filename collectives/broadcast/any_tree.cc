// SPDX-License-Identifier: Apache-2.0
// The pipelined broadcast down any tree (any_tree.h).
#include "collectives/broadcast/any_tree.h"

#include "collectives/patterns/ring.h"
#include "collectives/round_op.h"

namespace weft::coll {
namespace {

class TreeBroadcastOp final : public RoundOp {
 public:
  TreeBroadcastOp(const Context& ctx, const CollArgs& a, const TreePlace& place)
      : RoundOp(ctx, {place.parent < 0 ? nullptr : &ctx.link(place.parent), nullptr}, a.dtype, ReduceOp::Sum),
        args_(a), root_(place.parent < 0), chunking_(a.count, prims_.maxChunkElements()), elem_(prims_.elementSize()) {
    for (int child : place.children) children_.push_back(&ctx.link(child));
    prims_.setOutput(a.count * elem_, false);
    schedule(chunking_.rounds, (root_ ? 0 : 1) + int(children_.size()));
  }

 private:
  Step stepAt(size_t round, int p) const override {
    Step s;
    s.count = chunking_.length(round, args_.count);
    const size_t off = chunking_.offset(round) * elem_;
    s.dst = static_cast<std::byte*>(args_.recv) + off;
    if (!root_ && p == 0) {  // first the chunk from the parent
      s.prim = Prim::Recv;
      return s;
    }
    // Then on to each child: the root sends its input, the others what they just received.
    const int child = p - (root_ ? 0 : 1);
    s.prim = Prim::Send;
    s.to = children_[size_t(child)];
    s.src = root_ ? static_cast<const std::byte*>(args_.send) + off : s.dst;
    s.copyLocal = root_ && child == 0 && args_.send != args_.recv;
    return s;
  }

  const CollArgs& args_;
  const bool root_;
  const patterns::Chunking chunking_;
  const size_t elem_;
  std::vector<transport::Endpoint*> children_;
};

}  // namespace

std::unique_ptr<Operation> startTreeBroadcast(const Context& ctx, const CollArgs& args, const TreePlace& place) {
  if (ctx.size == 1 || (place.parent < 0 && place.children.empty())) return std::make_unique<LocalCopyOp>(args);
  return std::make_unique<TreeBroadcastOp>(ctx, args, place);
}

}  // namespace weft::coll
