// SPDX-License-Identifier: Apache-2.0
// The seeded random sequence of calls every rank of a fault trial makes, and what each must yield.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "runtime/weft.h"

namespace weft::faults {

enum class Kind {
  AllReduce, Broadcast, Reduce, AllGather, ReduceScatter, AllToAll, Scatter, Gather, SendRecv, Barrier
};

// One call of the sequence. Every rank draws the same calls from the same seed, so that they
// agree (weft would report any disagreement as a mismatch, not as the fault under test).
struct Call {
  Kind kind = Kind::Barrier;
  size_t count = 0;        // per rank or per block, as weft's argument of the same name
  weftDataType_t dtype = weftInt32;
  weftRedOp_t op = weftSum;
  int root = 0;            // the root; for SendRecv, the sender
  int peer = 0;            // for SendRecv, the receiver
  uint64_t index = 0;      // the call's number in the sequence, from 0
  bool async = false;      // made as weft*Async + weftWait: it runs on the progress thread
};

// Calls drawn from a seed: kinds uniformly, counts log-uniform below 2^(maxLog+1) elements (1 in
// 16 empty), int32 or float32, sum or max, random roots and pairs, 1 in 4 nonblocking.
class CallSequence {
 public:
  CallSequence(uint64_t seed, int nranks, int maxLog) : rng_(seed), nranks_(nranks), maxLog_(maxLog) {}
  Call next();

 private:
  std::mt19937_64 rng_;
  int nranks_;
  int maxLog_;
  uint64_t index_ = 0;
};

// "allreduce #12 (count=4096, int32, sum)" as the rank program reports it.
std::string describe(const Call& c);

// Runs `c` as rank `rank` of `comm`, with inputs filled and outputs checked against their closed
// form. Returns weft's result; on a success with wrong data, sets *wrong to what differs.
weftResult_t runCall(const Call& c, int rank, int nranks, weftComm_t comm, std::string* wrong);

}  // namespace weft::faults
