// SPDX-License-Identifier: Apache-2.0
// Rank and index arithmetic for ring algorithms: neighbours, segments and chunk rounds.
#pragma once

#include <algorithm>
#include <cstddef>

namespace weft::coll::patterns {

inline int ringNext(int rank, int size) { return (rank + 1) % size; }
inline int ringPrev(int rank, int size) { return (rank + size - 1) % size; }
inline int mod(int v, int size) {
  const int r = v % size;  // one division: this runs per call
  return r < 0 ? r + size : r;
}
// Smallest k with 2^k >= n (0 for n <= 1).
inline int ceilLog2(int n) {
  int k = 0;
  while ((1 << k) < n) ++k;
  return k;
}

// `count` elements split into `parts` contiguous segments whose sizes differ by at most one
// (the first count % parts segments are one longer), so any count works, 0 included.
struct Segments {
  size_t count;
  int parts;
  size_t base() const { return count / size_t(parts); }
  size_t extra() const { return count % size_t(parts); }
  size_t begin(int j) const { return size_t(j) * base() + std::min<size_t>(size_t(j), extra()); }
  size_t length(int j) const { return base() + (size_t(j) < extra() ? 1 : 0); }
  size_t longest() const { return base() + (extra() ? 1 : 0); }
};

// Pipelining: a segment of up to `longest` elements goes in `rounds` chunks of at most
// `chunk` elements; chunk sizes are balanced so that the last round is not a sliver.
struct Chunking {
  size_t chunk = 0;
  size_t rounds = 0;
  Chunking(size_t longest, size_t maxChunk) {
    if (longest == 0) return;
    if (longest <= maxChunk) {  // one round, as below, without the two divisions
      rounds = 1;
      chunk = longest;
      return;
    }
    rounds = (longest + maxChunk - 1) / maxChunk;
    chunk = (longest + rounds - 1) / rounds;
  }
  // Elements of round k that fall inside a segment of `length` (0 when the segment is shorter).
  size_t offset(size_t k) const { return k * chunk; }
  size_t length(size_t k, size_t segLength) const {
    const size_t off = offset(k);
    return off >= segLength ? 0 : std::min(chunk, segLength - off);
  }
};

}  // namespace weft::coll::patterns
