// SPDX-License-Identifier: Apache-2.0
// The double binary tree (collectives/patterns/double_tree.h): both trees span every rank, links
// agree on both ends, depth stays logarithmic, and no rank is an inner node of both.
#include <catch2/catch.hpp>

#include <algorithm>
#include <array>
#include <string>
#include <vector>

#include "collectives/patterns/double_tree.h"

using weft::coll::patterns::doubleTreeNode;
using weft::coll::patterns::doubleTreeRoot;
using weft::coll::patterns::TreeNode;

namespace {

// What is wrong with tree `which` over n ranks ("" when nothing); sets `depth` (root: 0).
std::string checkTree(int n, int which, int& depth) {
  const std::string where = "n=" + std::to_string(n) + " tree " + std::to_string(which + 1) + ": ";
  std::vector<TreeNode> nodes;
  for (int r = 0; r < n; ++r) nodes.push_back(doubleTreeNode(n, r, which));
  int roots = 0, edges = 0;
  for (int r = 0; r < n; ++r) {
    const TreeNode& t = nodes[size_t(r)];
    if (t.parent < 0) {
      ++roots;
      if (r != doubleTreeRoot(n, which)) return where + "rank " + std::to_string(r) + " is an unexpected root";
    } else {
      if (t.parent >= n || t.parent == r) return where + "rank " + std::to_string(r) + " has a bad parent";
      const TreeNode& p = nodes[size_t(t.parent)];
      if (p.children[0] != r && p.children[1] != r) return where + "parent of " + std::to_string(r) + " disowns it";
    }
    if (t.children[0] < 0 && t.children[1] >= 0) return where + "second child without a first";
    for (int c : t.children) {
      if (c < 0) continue;
      if (c >= n || nodes[size_t(c)].parent != r) return where + "child " + std::to_string(c) + " of " + std::to_string(r) + " disagrees";
      ++edges;
    }
    if (t.children[0] >= 0 && t.children[0] == t.children[1]) return where + "a child twice";
  }
  if (roots != 1) return where + std::to_string(roots) + " roots";
  if (edges != n - 1) return where + std::to_string(edges) + " edges";
  depth = 0;
  for (int r = 0; r < n; ++r) {  // every rank reaches the root without a cycle
    int d = 0;
    for (int x = r; nodes[size_t(x)].parent >= 0; x = nodes[size_t(x)].parent) {
      if (++d > n) return where + "rank " + std::to_string(r) + " is on a cycle";
    }
    depth = std::max(depth, d);
  }
  return {};
}

int ceilLog2(int n) {
  int k = 0;
  while ((1 << k) < n) ++k;
  return k;
}

}  // namespace

TEST_CASE("double tree: both trees span every rank with consistent links", "[double_tree]") {
  for (int n = 1; n <= 64; ++n) {
    for (int which : {0, 1}) {
      int depth = 0;
      REQUIRE(checkTree(n, which, depth) == "");
      INFO("n=" << n << " tree " << which + 1 << " depth " << depth);
      CHECK(depth <= ceilLog2(n) + 1);
    }
  }
}

TEST_CASE("double tree: every rank is a leaf in at least one tree", "[double_tree]") {
  for (int n = 3; n <= 64; ++n) {
    for (int r = 0; r < n; ++r) {
      INFO("n=" << n << " rank " << r);
      const bool inner1 = doubleTreeNode(n, r, 0).childCount() > 0;
      const bool inner2 = doubleTreeNode(n, r, 1).childCount() > 0;
      CHECK_FALSE((inner1 && inner2));
      CHECK((inner1 || inner2));  // the inner nodes of the two trees cover the ranks between them
    }
  }
}

TEST_CASE("double tree: the shapes the construction describes", "[double_tree]") {
  // n = 8, tree 1: 0 -> 4; 4 -> 2, 6; 2 -> 1, 3; 6 -> 5, 7. Tree 2 is its mirror.
  const TreeNode four = doubleTreeNode(8, 4, 0);
  CHECK(four.parent == 0);
  CHECK(four.children == std::array<int, 2>{2, 6});
  CHECK(doubleTreeNode(8, 0, 0).children == std::array<int, 2>{4, -1});
  CHECK(doubleTreeNode(8, 6, 0).children == std::array<int, 2>{5, 7});
  CHECK(doubleTreeNode(8, 3, 1).children == std::array<int, 2>{5, 1});
  CHECK(doubleTreeNode(8, 3, 1).parent == 7);
  // n = 6: 4 -> 2, 5 (4 + 2 is past the end, so 4 + 1); 5's parent is then 4, not 6.
  CHECK(doubleTreeNode(6, 4, 0).children == std::array<int, 2>{2, 5});
  CHECK(doubleTreeNode(6, 5, 0).parent == 4);
  // n = 5: tree 2 is the mirror over ranks 0..3 (root 3 -> 1; 1 -> 2, 0) plus 4 below root 3.
  CHECK(doubleTreeNode(5, 3, 1).children == std::array<int, 2>{1, 4});
  CHECK(doubleTreeNode(5, 1, 1).children == std::array<int, 2>{2, 0});
  CHECK(doubleTreeNode(5, 4, 1).parent == 3);
  // One rank: a lone root in both trees.
  CHECK(doubleTreeNode(1, 0, 1).childCount() == 0);
  CHECK(doubleTreeNode(1, 0, 1).parent == -1);
}
