// SPDX-License-Identifier: Apache-2.0
// One rank's side of a checked collective call (for thread ranks and for real processes alike):
// each check makes the call on this rank, compares the result with exact values, and returns
// the first mismatch, or "" when there is none.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "runtime/weft.hpp"
#include "tests/support/buffers.h"

namespace weft::test {

// One call's arguments. Every rank of the communicator must run the same case.
struct Case {
  weftDataType_t type = weftFloat32;
  weftRedOp_t op = weftSum;  // reductions only
  size_t count = 0;          // per rank, as in NCCL (sendcount, recvcount, block size)
  int root = 0;              // rooted calls only
  bool inPlace = false;      // the layout each call's weft.h comment names
};

// "reduce int8 op 2 count 7 root 1 in place", for messages.
std::string describe(const char* coll, const Case& c);

// Bytes with guard bytes before and after; guardsIntact() tells whether a call wrote outside.
class GuardedBuffer {
 public:
  static constexpr size_t kGuardBytes = 16;
  static constexpr unsigned char kGuard = 0xA5;

  GuardedBuffer(size_t bytes, unsigned char fill);
  unsigned char* data() { return bytes_.data() + kGuardBytes; }
  const unsigned char* data() const { return bytes_.data() + kGuardBytes; }
  size_t size() const { return size_; }
  bool guardsIntact() const;

 private:
  TestBuffer bytes_;  // the heap's, or weftMemAlloc's (tests/support/buffers.h)
  size_t size_;
};

// The bit pattern for data moved from rank `src` and meant for rank `dst`: byte `offset` of that
// block. Neighbouring bytes, blocks and ranks all differ, so a misplaced or stale byte shows.
unsigned char patternByte(int src, int dst, size_t offset);
void fillPattern(unsigned char* p, size_t bytes, int src, int dst);
// "" when p holds the pattern of (src, dst), else where it first differs.
std::string comparePattern(const unsigned char* p, size_t bytes, int src, int dst);

// Reductions: inputs and results from tests/support/values.h (exact for every type and op).
std::string checkReduce(Comm& comm, const Case& c);
std::string checkReduceScatter(Comm& comm, const Case& c);
// Data movement: the pattern of (source rank, destination rank, byte), compared bitwise.
std::string checkAllGather(Comm& comm, const Case& c);
std::string checkAllToAll(Comm& comm, const Case& c);
std::string checkScatter(Comm& comm, const Case& c);
std::string checkGather(Comm& comm, const Case& c);
// Point to point: rank r sends to r+1 and receives from r-1 (rank 0 sends first, the others
// receive first, so large messages cannot deadlock). Needs at least 2 ranks.
std::string checkSendRecvRing(Comm& comm, const Case& c);

using CheckFn = std::string (*)(Comm&, const Case&);

}  // namespace weft::test
