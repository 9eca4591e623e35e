// SPDX-License-Identifier: Apache-2.0
// The collectives as the stream tests issue them: buffer layouts (in place and not), the value
// every rank starts with, and each output element in closed form.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/weft.h"

namespace weft::test {

enum class Kind { AllReduce, Broadcast, Reduce, AllGather, ReduceScatter, AllToAll, Scatter, Gather, SendRecv, Barrier };
inline constexpr Kind kKinds[] = {Kind::AllReduce, Kind::Broadcast, Kind::Reduce, Kind::AllGather,
                                  Kind::ReduceScatter, Kind::AllToAll, Kind::Scatter, Kind::Gather,
                                  Kind::SendRecv, Kind::Barrier};
bool hasInPlace(Kind k);
// The rooted collectives' root: the last rank, so that it is not rank 0 where there are two.
inline int rootOf(int n) { return n - 1; }

// Element j of rank r's input: small integers, so that sums are exact.
inline int32_t value(int r, size_t j) { return int32_t((r + 1) * 1000 + j % 991); }

// A rank's buffers in elements of int32: what it reads (inElems, at sendAt) and writes (outElems,
// at recvAt); in place, both offsets are into one buffer.
struct Layout {
  size_t inElems = 0, outElems = 0;
  size_t sendAt = 0, recvAt = 0;
};
Layout layout(Kind k, int rank, int n, size_t count, bool inPlace);

// Issues the call (int32 sum where it reduces; sendrecv: a ring in a group) on `stream`.
weftResult_t issue(Kind k, weftComm_t comm, void* send, void* recv, size_t count, int n, int rank, void* stream);

// "" if `got` is rank `rank`'s correct output, else the first wrong element.
std::string firstWrong(Kind k, int rank, int n, size_t count, const std::vector<int32_t>& got);
std::string describe(Kind k, bool inPlace, size_t count);

}  // namespace weft::test
