// SPDX-License-Identifier: Apache-2.0
// The per-collective counts and in-place offsets of bench/common/layout.h.
#include "bench/common/layout.h"

namespace weft::bench {
namespace {

// n blocks of `block` elements on the many side, one on the other.
Layout gatherShape(size_t block, int n) {
  return {.count = block, .sendCount = block, .recvCount = block * static_cast<size_t>(n),
          .sendInPlaceOffset = block, .recvInPlaceOffset = 0};
}

Layout scatterShape(size_t block, int n) {
  return {.count = block, .sendCount = block * static_cast<size_t>(n), .recvCount = block,
          .sendInPlaceOffset = 0, .recvInPlaceOffset = block};
}

}  // namespace

size_t blockCount(size_t bytes, size_t elementBytes, int n) {
  if (n < 1 || elementBytes == 0) return 0;
  // 16 / elementBytes elements make 16 bytes; every element size (1, 2, 4, 8) divides 16.
  const size_t align = elementBytes < 16 ? 16 / elementBytes : 1;
  return bytes / elementBytes / static_cast<size_t>(n) / align * align;
}

Layout wholeLayout(size_t bytes, size_t elementBytes) {
  const size_t count = elementBytes == 0 ? 0 : bytes / elementBytes;
  return {.count = count, .sendCount = count, .recvCount = count};
}

Layout allGatherLayout(size_t bytes, size_t elementBytes, int n) {
  return gatherShape(blockCount(bytes, elementBytes, n), n);
}

Layout gatherLayout(size_t bytes, size_t elementBytes, int n) {
  return gatherShape(blockCount(bytes, elementBytes, n), n);
}

Layout reduceScatterLayout(size_t bytes, size_t elementBytes, int n) {
  return scatterShape(blockCount(bytes, elementBytes, n), n);
}

Layout scatterLayout(size_t bytes, size_t elementBytes, int n) {
  return scatterShape(blockCount(bytes, elementBytes, n), n);
}

Layout allToAllLayout(size_t bytes, size_t elementBytes, int n) {
  const size_t block = blockCount(bytes, elementBytes, n);
  const size_t all = block * static_cast<size_t>(n);
  return {.count = block, .sendCount = all, .recvCount = all};
}

}  // namespace weft::bench
