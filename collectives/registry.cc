// SPDX-License-Identifier: Apache-2.0
// Algorithm list and selection.
#include "collectives/registry.h"

#include <algorithm>
#include <array>
#include <string>

#include "common/error.h"

namespace weft::coll {

std::span<const Algorithm* const> algorithms() {
  static const std::array all = {
      &ringAllReduce(),    &chainBroadcast(), &chainReduce(), &ringAllGather(), &ringReduceScatter(),
      &pairwiseAllToAll(), &linearScatter(),  &linearGather(), &p2pSend(),      &p2pRecv(),
      &disseminationBarrier(), &treeBroadcast(), &halvingDoublingAllReduce(),
      &treeReduce(), &recursiveDoublingAllGather(), &bruckAllGather(),
      &recursiveHalvingReduceScatter(), &treeScatter(), &treeGather(), &treeAllReduce(),
      &hierarchicalAllReduce(), &hierarchicalBroadcast(), &recursiveDoublingAllReduce(), &directAllReduce(), &directAllGather(),
  };
  return all;
}

Selection selectAlgorithm(const CollArgs& args, const Context& ctx, const AlgoSpec& spec, const Tuner& tuner) {
  const std::string_view forced = spec.forced(args.kind, args.count * dtypeSize(args.dtype));
  const Algorithm* first = nullptr;
  for (const Algorithm* a : algorithms()) {
    if (a->kind() != args.kind || !a->supports(args, ctx)) continue;
    if (!forced.empty() && a->name() == forced) return {a, Selection::Why::Forced};
    if (!first) first = a;
  }
  WEFT_CHECK(first != nullptr, std::string("no algorithm supports ") + describe(args));
  const Algorithm* tuned = tuner.choose(args, ctx);
  if (!forced.empty()) return {tuned ? tuned : first, Selection::Why::ForcedDeclined};
  if (tuned) return {tuned, Selection::Why::Tuned};
  return {first, Selection::Why::Default};
}

}  // namespace weft::coll
