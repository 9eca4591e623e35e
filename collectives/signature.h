// SPDX-License-Identifier: Apache-2.0
// The signature every message of a call carries, and the check that catches mismatched calls.
#pragma once

#include <cstdint>
#include <string>

#include "collectives/algorithm.h"
#include "common/error.h"

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
// WEFT_CHECK=0 skips the comparison of signatures (its cost, none measurable:
// docs/benchmarks.md); messages carry the signature all the same, so ranks may differ in the
// setting. Shrink markers and failure notices are recognised whatever the setting: read as data
// they would pass for a chunk.
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

// Note [Failure notices]
// A communicator that fails tells every peer it can still reach, at once: one message on each
// link, stamped failureNotice(code, culprit) (its error's code, and the rank the error was about,
// Error::about(), or -1), whose payload is its error message. A peer reads it where it expected
// the next chunk from that rank, in the call that failed or in a later one, and fails too, with
// the same code (weftRemoteError for a dead rank, weftTimeout for a silent one, weftInvalidUsage
// for mismatched calls), naming the culprit first and quoting the first rank's message, instead
// of waiting for the sender to exit or for WEFT_TIMEOUT; its own notices pass the same on. So
// every survivor that waits on a failed rank, directly or through others, learns which rank
// failed first and how. Best effort: a link
// with no free slot (its peer is not reading it) gets no notice, and a rank that never
// reads from the sender learns nothing (it is not waiting on it). Drained by weftCommShrink
// like any message of a failed call.
transport::Stamp failureNotice(ErrorCode code, int culprit);
bool isFailureNotice(transport::Stamp stamp);

// The error a failure notice raises; root() is the message of the rank that failed first, which
// this rank's own notices pass on (rather than a notice quoting a notice).
class NoticedError : public Error {
 public:
  NoticedError(ErrorCode code, const std::string& what, int culprit, std::string root)
      : Error(code, what, culprit), root_(std::move(root)) {}
  const std::string& root() const { return root_; }

 private:
  std::string root_;
};

// The error for a message from `peer` that carries `got` where rank `rank` expected `expected`
// (another call's signature), naming both calls.
InvalidUsage callMismatch(int rank, transport::Stamp expected, int peer, transport::Stamp got);

// The chunk last received on `from` carries `got` instead of `expected`: throws NoticedError for
// a failure notice, InvalidUsage for a shrink marker, and for another call's signature when
// `check` (naming both calls); returns otherwise.
void unexpected(bool check, int rank, transport::Stamp expected, transport::Endpoint& from);
inline void checkStamp(bool check, transport::Stamp expected, int rank, transport::Endpoint& from) {
  if (from.recvStamp() != expected) unexpected(check, rank, expected, from);
}

}  // namespace weft::coll
