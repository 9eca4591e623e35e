// SPDX-License-Identifier: Apache-2.0
// How a collective's count argument and its buffers follow from a row's size, as nccl-tests' GetCollByteCount.
#pragma once

#include <algorithm>
#include <cstddef>

namespace weft::bench {

// One rank's view of a call, in elements. In place, rank r passes recv + r * sendInPlaceOffset as
// its send buffer and recv + r * recvInPlaceOffset as its receive buffer (nccl-tests' layout, which
// is also weft.h's in-place rule for every collective that has one).
struct Layout {
  size_t count = 0;              // the count argument of the call
  size_t sendCount = 0;          // elements read from the send buffer
  size_t recvCount = 0;          // elements of the receive buffer the result is checked in
  size_t sendInPlaceOffset = 0;  // times the rank, from the start of the buffer, in place
  size_t recvInPlaceOffset = 0;

  // The size column: the larger buffer, so algbw = size / time for every collective.
  size_t rowElements() const { return std::max(sendCount, recvCount); }
};

// Elements of one rank's block when a row of `bytes` is split over n ranks: rounded down to a
// multiple of 16 bytes, as nccl-tests does (so a small size can give 0).
size_t blockCount(size_t bytes, size_t elementBytes, int n);

// All-reduce, broadcast, reduce, send/recv: both buffers hold the whole size.
Layout wholeLayout(size_t bytes, size_t elementBytes);
// All-gather and gather: each rank sends one block and the result holds n of them.
Layout allGatherLayout(size_t bytes, size_t elementBytes, int n);
Layout gatherLayout(size_t bytes, size_t elementBytes, int n);
// Reduce-scatter and scatter: n blocks in, the rank's block out.
Layout reduceScatterLayout(size_t bytes, size_t elementBytes, int n);
Layout scatterLayout(size_t bytes, size_t elementBytes, int n);
// All-to-all: n blocks in and n out (no in-place layout: the buffers may not overlap).
Layout allToAllLayout(size_t bytes, size_t elementBytes, int n);

}  // namespace weft::bench
