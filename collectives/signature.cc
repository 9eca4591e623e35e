// SPDX-License-Identifier: Apache-2.0
// Signatures packed into stamps, and the mismatch message (Note [Signatures]).
#include "collectives/signature.h"

#include <algorithm>
#include <cstdio>

#include "common/error.h"

namespace weft::coll {
namespace {

constexpr uint64_t kCountMask = (uint64_t(1) << 48) - 1;
constexpr uint64_t kVersion = 1;  // the top nibble: a stamp that carries a signature
constexpr uint64_t kMarker = 2;   // the top nibble of a shrink marker
constexpr uint64_t kNotice = 3;   // the top nibble of a failure notice
constexpr uint64_t kNoticeTag = 0x6e6f74696365;  // "notice", its high word
constexpr size_t kNoticeChars = 1024;            // the most of a notice's text quoted

// A send's signature names its destination where a rooted collective names its root.
bool named(CollKind k) { return rooted(k) || k == CollKind::Send; }

// "allreduce(count=1000, float, sum" without the closing parenthesis.
std::string callText(CollKind kind, const Signature& s) {
  char buf[160];
  int n = std::snprintf(buf, sizeof(buf), "%s(", int(kind) < kCollKinds ? collName(kind) : "unknown");
  if (kind != CollKind::Barrier) n += std::snprintf(buf + n, sizeof(buf) - size_t(n), "count=%llu, %s",
                                                    static_cast<unsigned long long>(s.count), dtypeName(s.dtype));
  if (reduces(kind)) n += std::snprintf(buf + n, sizeof(buf) - size_t(n), ", %s", opName(s.op));
  if (rooted(kind)) std::snprintf(buf + n, sizeof(buf) - size_t(n), ", root=%u", s.root);
  return buf;
}

}  // namespace

transport::Stamp Signature::stamp() const {
  return {(count & kCountMask) | uint64_t(kind) << 48 | uint64_t(dtype) << 52 | uint64_t(op) << 56 | kVersion << 60,
          uint64_t(number) | uint64_t(root) << 32};
}

Signature Signature::of(transport::Stamp stamp) {
  // Any 16 bytes decode: the fields only feed messages (names outside the enums read "unknown").
  Signature s;
  s.count = stamp.lo & kCountMask;
  s.kind = CollKind((stamp.lo >> 48) & 15);
  s.dtype = DataType((stamp.lo >> 52) & 15);
  s.op = ReduceOp((stamp.lo >> 56) & 15);
  s.number = uint32_t(stamp.hi);
  s.root = uint32_t(stamp.hi >> 32);
  return s;
}

std::string Signature::describe() const {
  if (kind == CollKind::Send) {
    return callText(kind, *this) + ", to rank " + std::to_string(root) + ") as its send #" + std::to_string(number) +
           " to that rank";
  }
  return callText(kind, *this) + ") as its collective #" + std::to_string(number);
}

std::string Signature::describeExpected(int peer) const {
  if (kind != CollKind::Send) return describe();
  return callText(CollKind::Recv, *this) + ", from rank " + std::to_string(peer) + ") as its receive #" +
         std::to_string(number) + " from that rank";
}

transport::Stamp stampOf(const CollArgs& args, int rank, uint32_t number) {
  Signature s;
  s.kind = args.kind == CollKind::Recv ? CollKind::Send : args.kind;
  s.dtype = args.kind == CollKind::Barrier ? DataType::Int8 : args.dtype;
  s.op = reduces(args.kind) ? args.op : ReduceOp::Sum;
  s.count = args.kind == CollKind::Barrier ? 0 : args.count;
  // A send names its destination; the receive it meets expects that to be the receiving rank.
  s.root = args.kind == CollKind::Recv ? uint32_t(rank) : named(args.kind) ? uint32_t(args.root) : 0;
  s.number = number;
  return s.stamp();
}

transport::Stamp shrinkMarker(uint32_t number, uint64_t excluded) { return {kMarker << 60 | number, excluded}; }

bool isShrinkMarker(transport::Stamp stamp) { return stamp.lo >> 60 == kMarker; }

transport::Stamp failureNotice(ErrorCode code, int culprit) {
  return {kNotice << 60 | uint64_t(code) << 32 | uint32_t(culprit + 1), kNoticeTag};
}

bool isFailureNotice(transport::Stamp stamp) { return stamp.lo >> 60 == kNotice && stamp.hi == kNoticeTag; }

namespace {

[[noreturn]] void noticed(int rank, transport::Stamp expected, transport::Endpoint& from) {
  const transport::Stamp stamp = from.recvStamp();
  const int sender = from.peer(), culprit = int(uint32_t(stamp.lo)) - 1;
  const auto code = ErrorCode((stamp.lo >> 32) & 15);
  const bool known = code == ErrorCode::RemoteError || code == ErrorCode::Timeout || code == ErrorCode::InvalidUsage ||
                     code == ErrorCode::SystemError || code == ErrorCode::InternalError;
  size_t bytes = 0;
  const auto* data = reinterpret_cast<const char*>(from.tryRecvSlot(&bytes));
  std::string text(data, std::min(bytes, kNoticeChars));
  for (char& c : text) {
    if (c < ' ' || c > '~') c = '?';  // a peer's bytes, printed
  }
  const ErrorCode as = known ? code : ErrorCode::RemoteError;
  const std::string where = " while rank " + std::to_string(rank) + " was in " +
                            Signature::of(expected).describeExpected(sender) + ": ";
  if (culprit < 0 || culprit == sender || culprit == rank) {
    throw NoticedError(as, "rank " + std::to_string(sender) + " gave up on this communicator" + where + text, sender,
                       text);
  }
  throw NoticedError(as,
                     "rank " + std::to_string(culprit) + " failed, as rank " + std::to_string(sender) +
                         " reports, which gave up on this communicator" + where + text,
                     culprit, text);
}

[[noreturn]] void mismatch(int rank, transport::Stamp expected, int peer, transport::Stamp got) {
  if (isShrinkMarker(got)) {
    throw InvalidUsage("rank " + std::to_string(peer) + " called weftCommShrink where rank " + std::to_string(rank) +
                       " called " + Signature::of(expected).describeExpected(peer) +
                       " (a call that failed elsewhere: shrink too)");
  }
  throw callMismatch(rank, expected, peer, got);
}

}  // namespace

InvalidUsage callMismatch(int rank, transport::Stamp expected, int peer, transport::Stamp got) {
  const Signature mine = Signature::of(expected), theirs = Signature::of(got);
  std::string text = "rank " + std::to_string(peer) + " called " + theirs.describe() + " where rank " +
                     std::to_string(rank) + " called " + mine.describeExpected(peer);
  if (theirs.number != mine.number) {
    text += " (a message of an earlier or later call: the ranks' calls differed before this one; "
            "WEFT_FLIGHT_RECORDER logs each rank's last calls)";
  } else {
    text += " (mismatched calls: every rank must make the same collective calls in the same order)";
  }
  return InvalidUsage(text, peer);
}

void unexpected(bool check, int rank, transport::Stamp expected, transport::Endpoint& from) {
  const transport::Stamp got = from.recvStamp();
  if (isFailureNotice(got)) noticed(rank, expected, from);
  if (check || isShrinkMarker(got)) mismatch(rank, expected, from.peer(), got);
}

}  // namespace weft::coll
