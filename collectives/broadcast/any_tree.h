// SPDX-License-Identifier: Apache-2.0
// A pipelined broadcast down any tree of ranks, shared by the binomial-tree and hierarchical
// broadcasts: they differ only in who is whose parent.
#pragma once

#include <memory>
#include <vector>

#include "collectives/operation.h"

namespace weft::coll {

// This rank's place in a broadcast tree: its parent (-1 at the root, which must be args.root)
// and its children in the order they are served (largest subtree or slowest link first).
struct TreePlace {
  int parent = -1;
  std::vector<int> children;
};

// Per chunk: a non-root rank receives the chunk from its parent into its output, then every rank
// sends it on to each child (the root from its input, copying it to its output when out of place).
std::unique_ptr<Operation> startTreeBroadcast(const Context& ctx, const CollArgs& args, const TreePlace& place);

// ctx.rank's place in the binomial tree from `root` (broadcast/tree.cc) and in the hierarchical
// tree (broadcast/hierarchical.cc, which reads ctx.hostOf and ctx.hostCount). Only ctx's rank,
// size and host fields are read.
TreePlace binomialPlace(const Context& ctx, int root);
TreePlace hierarchicalPlace(const Context& ctx, int root);

}  // namespace weft::coll
