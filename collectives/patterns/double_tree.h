// SPDX-License-Identifier: Apache-2.0
// The two binary trees of the double binary tree all-reduce: each rank is an inner node in at most
// one of them, so it forwards (and reduces) for one tree only.
#pragma once

#include <array>

namespace weft::coll::patterns {

// One rank's place in a tree: its parent and up to two children, in the order they are served.
struct TreeNode {
  int parent = -1;                      // -1: the root
  std::array<int, 2> children{-1, -1};  // -1: none; a single child is always children[0]
  int childCount() const { return (children[0] >= 0 ? 1 : 0) + (children[1] >= 0 ? 1 : 0); }
};

// Note [Double binary tree]
// Tree 1 is read off the binary representation of the ranks 0..n-1. Rank 0 is the root; its only
// child is p, the largest power of two below n. A rank r > 0 whose lowest set bit is b hangs
// below r with bit b cleared and bit 2b set, unless that is n or more, in which case below r
// with bit b cleared (whose lowest set bit is above 2b, and which takes r as its last child
// because every larger offset overflows). Conversely r
// has the children r - b/2 and r + d, for the largest d among b/2, b/4, ..., 1 with r + d < n
// (if any). Odd ranks (b = 1) are thus exactly the leaves, even ranks the inner nodes, and the
// depth is about log2(n).
//
// Tree 2 must use the leaves of tree 1 (the odd ranks) as its inner nodes. For even n the mirror
// image r -> n-1-r of tree 1 does it: it swaps odd and even ranks. For odd n the mirror swaps
// nothing, so tree 2 is the mirror of tree 1 over the first n-1 ranks (r -> n-2-r: inner nodes
// odd, root n-2, which has one child there) with the last rank, n-1, hung below that root as
// its second child. Either way no rank is an inner node of both trees once n >= 3.

// Rank r's node in tree 1 over n ranks.
inline TreeNode binaryTreeNode(int n, int r) {
  TreeNode t;
  if (n <= 1) return t;
  if (r == 0) {
    int p = 1;
    while (2 * p < n) p *= 2;
    t.children[0] = p;
    return t;
  }
  const int b = r & -r;
  const int up = (r ^ b) | (2 * b);
  t.parent = up < n ? up : (r ^ b);
  if (b == 1) return t;
  t.children[0] = r - b / 2;
  for (int d = b / 2; d >= 1; d /= 2) {
    if (r + d < n) {
      t.children[1] = r + d;
      break;
    }
  }
  return t;
}

// `t` with every rank x renamed to m - x (none stays none).
inline TreeNode mirrored(TreeNode t, int m) {
  const auto rename = [m](int x) { return x < 0 ? x : m - x; };
  return TreeNode{rename(t.parent), {rename(t.children[0]), rename(t.children[1])}};
}

// Rank r's node in tree `which` (0: tree 1, 1: tree 2) over n ranks.
inline TreeNode doubleTreeNode(int n, int r, int which) {
  if (which == 0) return binaryTreeNode(n, r);
  if (n % 2 == 0) return mirrored(binaryTreeNode(n, n - 1 - r), n - 1);
  if (n == 1) return TreeNode{};
  if (r == n - 1) return TreeNode{n - 2, {-1, -1}};
  TreeNode t = mirrored(binaryTreeNode(n - 1, n - 2 - r), n - 2);
  if (r == n - 2) t.children[1] = n - 1;  // the root of the mirror has one child of its own
  return t;
}

// The root of tree `which`.
inline int doubleTreeRoot(int n, int which) {
  if (which == 0 || n == 1) return 0;
  return n % 2 == 0 ? n - 1 : n - 2;
}

}  // namespace weft::coll::patterns
