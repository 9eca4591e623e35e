// SPDX-License-Identifier: Apache-2.0
// Rank arithmetic of recursive halving and doubling, with the usual fold of the ranks beyond the
// largest power of two onto their neighbours.
#pragma once

#include <cstddef>
#include <vector>

namespace weft::coll::patterns {

// With n ranks and p the largest power of two <= n, extra = n - p. Ranks below 2*extra pair up:
// the even one hands its data to the odd one before the exchanges and gets the result after,
// sitting the exchanges out. The p remaining ranks get virtual ranks 0..p-1.
struct HalvingDoubling {
  int size;
  int pow2;
  int extra;

  explicit HalvingDoubling(int n) : size(n), pow2(1), extra(0) {
    while (pow2 * 2 <= n) pow2 *= 2;
    extra = n - pow2;
  }
  bool folded(int rank) const { return rank < 2 * extra && rank % 2 == 0; }  // sits out
  bool absorbs(int rank) const { return rank < 2 * extra && rank % 2 == 1; }  // takes a neighbour's
  int virtualRank(int rank) const { return rank < 2 * extra ? rank / 2 : rank - extra; }
  int realRank(int v) const { return v < extra ? 2 * v + 1 : v + extra; }
};

// A contiguous range of elements [begin, end).
struct Range {
  size_t begin = 0;
  size_t end = 0;
  size_t length() const { return end - begin; }
  Range lower() const { return {begin, begin + length() / 2}; }
  Range upper() const { return {begin + length() / 2, end}; }
};

}  // namespace weft::coll::patterns
