// SPDX-License-Identifier: Apache-2.0
// The broadcast trees (collectives/broadcast/any_tree.h): for every root and host layout, each
// rank but the root has one parent that lists it, the tree spans every rank, and the hierarchical
// tree crosses between hosts exactly hosts-1 times, with depth (hosts-1) + (largest host - 1).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

#include "collectives/broadcast/any_tree.h"

namespace weft::coll {
namespace {

struct Shape {
  std::string problem;  // empty when the tree is sound
  int crossings = 0;    // parent-child links between hosts
  int depth = 0;
};

// Builds every rank's place with `placeOf` and checks the tree they form.
template <class PlaceOf>
Shape check(const std::vector<int>& hostOf, int root, PlaceOf placeOf) {
  const int n = int(hostOf.size());
  const int hosts = *std::max_element(hostOf.begin(), hostOf.end()) + 1;
  std::vector<TreePlace> places;
  for (int r = 0; r < n; ++r) {
    Context ctx;
    ctx.rank = r;
    ctx.size = n;
    ctx.hostOf = hostOf;
    ctx.hostCount = hosts;
    places.push_back(placeOf(ctx, root));
  }
  Shape s;
  const std::string where = "root " + std::to_string(root) + ": ";
  for (int r = 0; r < n; ++r) {
    const TreePlace& p = places[size_t(r)];
    if ((p.parent < 0) != (r == root)) return {where + "rank " + std::to_string(r) + " has a wrong parent"};
    if (p.parent >= 0) {
      const auto& siblings = places[size_t(p.parent)].children;
      if (std::count(siblings.begin(), siblings.end(), r) != 1) {
        return {where + "the parent of " + std::to_string(r) + " does not list it once"};
      }
      s.crossings += hostOf[size_t(p.parent)] != hostOf[size_t(r)];
    }
    for (int c : p.children) {
      if (c < 0 || c >= n || places[size_t(c)].parent != r) return {where + "a child of " + std::to_string(r) + " disagrees"};
    }
  }
  // Depth by walking up from each rank (a cycle would exceed n steps).
  for (int r = 0; r < n; ++r) {
    int d = 0;
    for (int at = r; places[size_t(at)].parent >= 0; at = places[size_t(at)].parent) {
      if (++d > n) return {where + "a cycle through " + std::to_string(r)};
    }
    s.depth = std::max(s.depth, d);
  }
  return s;
}

TEST_CASE("hierarchical broadcast tree: spans every rank, crosses hosts hosts-1 times", "[broadcast][hierarchical]") {
  const std::vector<std::vector<int>> layouts = {
      {0, 1},                       // one rank per host
      {0, 0, 1, 1},                 // 2 x 2, contiguous
      {0, 1, 0, 1},                 // 2 x 2, round-robin placement
      {0, 0, 0, 1, 1, 1, 2, 2, 2},  // 3 x 3
      {0, 0, 1, 2, 2, 2, 1},        // uneven hosts, scattered
      {0, 1, 2, 3, 4},              // 5 hosts of one rank
  };
  for (const auto& hostOf : layouts) {
    const int hosts = *std::max_element(hostOf.begin(), hostOf.end()) + 1;
    int largest = 0;
    for (int h = 0; h < hosts; ++h) largest = std::max(largest, int(std::count(hostOf.begin(), hostOf.end(), h)));
    for (int root = 0; root < int(hostOf.size()); ++root) {
      const Shape s = check(hostOf, root, hierarchicalPlace);
      INFO("layout of " << hostOf.size() << " ranks on " << hosts << " hosts, root " << root);
      REQUIRE(s.problem.empty());
      CHECK(s.crossings == hosts - 1);
      CHECK(s.depth <= (hosts - 1) + (largest - 1));
    }
  }
}

TEST_CASE("binomial broadcast tree: spans every rank in floor(log2 n) hops", "[broadcast][tree]") {
  for (int n = 1; n <= 9; ++n) {
    for (int root = 0; root < n; ++root) {
      const Shape s = check(std::vector<int>(size_t(n), 0), root, binomialPlace);
      INFO(n << " ranks, root " << root);
      REQUIRE(s.problem.empty());
      int log = 0;
      while ((2 << log) <= n) ++log;
      CHECK(s.depth == log);
    }
  }
}

}  // namespace
}  // namespace weft::coll
