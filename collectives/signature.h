// SPDX-License-Identifier: Apache-2.0
// The signature every message of a call carries, and the check that catches mismatched calls.
#pragma once

#include <cstdint>
#include <string>

#include "collectives/algorithm.h"

namespace weft::coll {

// Note [Signatures]
// A call's signature is what every rank's part in it must agree on: the collective, datatype,
// op (where it reduces), count and root (where it has one), and its number: the n-th collective
// on the communicator, or the n-th send from rank a to rank b for point-to-point calls (which
// only the two ranks share). Every message a call sends carries it as its stamp (Note [Stamps]
// in transport/transport.h, 16 bytes), and every received message is compared with the
// signature this rank expects, so a peer that called something else, or is a call ahead or
// behind, is caught at the first message between the two, with both calls named. A receive
// expects the sender's send: kind Send, root the receiving rank. Fields a collective ignores
// (the op of a broadcast, the root of an all-reduce) are zero, so that ranks may differ there.
// What escapes it: mismatched calls in which no rank receives a message of the other call.
// Where both sides only wait (two ranks that each think they are a reduce's root) both time
// out; where one side only sends (two ranks that both think they are a broadcast's root), its
// messages are caught by the next call that receives on those links, as a call behind.
// WEFT_CHECK=0 skips the comparison (its cost, none measurable: docs/benchmarks.md); messages
// carry the signature all the same, so ranks may differ in the setting.
struct Signature {
  CollKind kind = CollKind::AllReduce;
  DataType dtype = DataType::Int8;
  ReduceOp op = ReduceOp::Sum;
  uint64_t count = 0;  // the low 48 bits travel
  uint32_t root = 0;
  uint32_t number = 0;

  transport::Stamp stamp() const;
  static Signature of(transport::Stamp stamp);
  // "allreduce(count=1000, float, sum) as its collective #17". describeExpected names the call
  // of a rank that expected this signature from `peer`: a receive, where it is a send.
  std::string describe() const;
  std::string describeExpected(int peer) const;
};

// The signature of this rank's part in `args`, the call's `number`-th of its sort, as the stamp
// its messages carry and every message it receives must carry (a receive expects the send).
transport::Stamp stampOf(const CollArgs& args, int rank, uint32_t number);

// The stamp of weftCommShrink's markers (Note [Shrink] in runtime/shrink.cc): no call carries
// it. `number` counts the communicator's shrinks, `excluded` hashes the excluded ranks.
transport::Stamp shrinkMarker(uint32_t number, uint64_t excluded);
bool isShrinkMarker(transport::Stamp stamp);

// Throws InvalidUsage naming both calls when the chunk last received on `from` carries another
// signature than `expected`.
[[noreturn]] void mismatch(int rank, transport::Stamp expected, int peer, transport::Stamp got);
inline void checkStamp(bool check, transport::Stamp expected, int rank, const transport::Endpoint& from) {
  if (check && from.recvStamp() != expected) mismatch(rank, expected, from.peer(), from.recvStamp());
}

}  // namespace weft::coll
