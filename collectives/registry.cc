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
      &sharedAllReduce(), &sharedAllGather(), &sharedBroadcast(), &stagedBroadcast(),
  };
  return all;
}

Selection selectAlgorithm(const CollArgs& args, const Context& ctx, const AlgoSpec& spec, const Tuner& tuner) {
  const std::string_view forced = spec.forced(args.kind, args.count * dtypeSize(args.dtype));
  const Algorithm* first = nullptr;
  const Algorithm* forcedAlgo = nullptr;
  for (const Algorithm* a : algorithms()) {
    if (a->kind() != args.kind || !a->supports(args, ctx)) continue;
    if (!forced.empty() && a->name() == forced) forcedAlgo = a;
    if (!first && !a->handsOff()) first = a;
  }
  WEFT_CHECK(first != nullptr, std::string("no algorithm supports ") + describe(args));
  Selection s{first, Selection::Why::Default};
  if (forcedAlgo) {
    s = {forcedAlgo, Selection::Why::Forced};
  } else if (const Algorithm* tuned = tuner.choose(args, ctx, true)) {
    s = {tuned, forced.empty() ? Selection::Why::Tuned : Selection::Why::ForcedDeclined};
  } else if (!forced.empty()) {
    s.why = Selection::Why::ForcedDeclined;
  }
  if (s.algorithm->handsOff()) {
    const Algorithm* plain = tuner.choose(args, ctx, false);
    s.fallback = plain ? plain : first;
  }
  return s;
}

}  // namespace weft::coll
