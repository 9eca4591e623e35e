// SPDX-License-Identifier: Apache-2.0
// Binomial-tree arithmetic over ranks renumbered so that the root is 0.
#pragma once

#include "collectives/patterns/ring.h"

namespace weft::coll::patterns {

// In a binomial tree of `size` ranks rooted at virtual rank 0, rank v's parent is v with its
// lowest set bit cleared, and its children are v + 2^k for every 2^k below that bit (below
// `size` for the root) with v + 2^k < size. Subtrees halve from the first child on.
struct BinomialTree {
  int size;
  int root;

  int virtualRank(int rank) const { return mod(rank - root, size); }
  int realRank(int v) const { return mod(v + root, size); }

  // Lowest set bit of v (size rounded up to a power of two for the root).
  int span(int v) const {
    if (v != 0) return v & -v;
    int p = 1;
    while (p < size) p <<= 1;
    return p;
  }
  int parent(int v) const { return v - (v & -v); }  // v != 0
  // Children in order of decreasing subtree: v + span/2, v + span/4, ..., v + 1 (those < size).
  template <class Fn>
  void forEachChild(int v, Fn&& fn) const {
    for (int step = span(v) >> 1; step >= 1; step >>= 1) {
      if (v + step < size) fn(v + step);
    }
  }
  int childCount(int v) const {
    int n = 0;
    forEachChild(v, [&](int) { ++n; });
    return n;
  }
};

}  // namespace weft::coll::patterns
