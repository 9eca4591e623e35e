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
      &recursiveHalvingReduceScatter(), &treeScatter(), &treeGather(),
  };
  return all;
}

const Algorithm& selectAlgorithm(const CollArgs& args, const Context& ctx, const AlgoSpec& spec) {
  const std::string_view forced = spec.forced(args.kind, args.count * dtypeSize(args.dtype));
  const Algorithm* first = nullptr;
  for (const Algorithm* a : algorithms()) {
    if (a->kind() != args.kind || !a->supports(args, ctx)) continue;
    if (!forced.empty() && a->name() == forced) return *a;
    if (!first) first = a;
  }
  WEFT_CHECK(first != nullptr, std::string("no algorithm supports ") + describe(args));
  return *first;
}

}  // namespace weft::coll
