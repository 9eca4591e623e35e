// SPDX-License-Identifier: Apache-2.0
// Send and receive on thread ranks: rings of messages of every datatype and count, messages
// larger than the FIFO, many messages per pair kept in order, count 0, and the refused self-send.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <string>

#include "tests/collectives/thread_cases.h"

using namespace weft::test;

namespace {

constexpr Shape kPointToPoint{.ops = false, .rooted = false, .inPlace = false};

// Message m from a to b carries the pattern of (a, kMessageTag * b + m).
constexpr int kMessageTag = 100;
constexpr size_t kBurst[] = {0, 1, 7, 1000, 300000};  // int32 elements; the last is 1.2 MB

// Rank `from` sends the burst of messages to `to`, which receives them in the same order (all
// of them, even after a mismatch, so that the sender is never left waiting).
std::string burst(weft::Comm& comm, int from, int to) {
  const int rank = comm.rank();
  std::string first;
  for (size_t m = 0; m < std::size(kBurst); ++m) {
    const size_t bytes = kBurst[m] * 4;
    GuardedBuffer buf(bytes, 0xC3);
    const int dst = kMessageTag * to + int(m);
    if (rank == from) {
      fillPattern(buf.data(), bytes, from, dst);
      comm.send(buf.data(), kBurst[m], weftInt32, to);
      continue;
    }
    comm.recv(buf.data(), kBurst[m], weftInt32, from);
    const std::string err =
        buf.guardsIntact() ? comparePattern(buf.data(), bytes, from, dst) : "wrote outside its buffer";
    if (first.empty() && !err.empty()) {
      first = "message " + std::to_string(m) + " from " + std::to_string(from) + " to " + std::to_string(to) +
              ": " + err;
    }
  }
  return first;
}

}  // namespace

TEST_CASE("send/recv: a ring of messages, every datatype, small and awkward counts", "[sendrecv]") {
  const int ranks = GENERATE(2, 3, 4, 5, 8);
  auto comms = weft::Comm::initAll(ranks);
  INFO("ranks=" << ranks);
  REQUIRE(runCases(comms, smallSweep(ranks, kPointToPoint), checkSendRecvRing) == "");
}

TEST_CASE("send/recv: messages of several MiB, larger than the FIFO, around a ring", "[sendrecv]") {
  const int ranks = GENERATE(2, 3, 5);
  auto comms = weft::Comm::initAll(ranks);
  INFO("ranks=" << ranks);
  const std::vector<Case> cases = {{weftFloat32, weftSum, kBigCount, 0, false},
                                   {weftInt8, weftSum, (size_t(3) << 20) + 5, 0, false},
                                   {weftFloat64, weftSum, (size_t(1) << 20) + 1, 0, false}};
  REQUIRE(runCases(comms, cases, checkSendRecvRing) == "");
}

TEST_CASE("send/recv: every pair exchanges bursts of messages that arrive in order", "[sendrecv]") {
  const int ranks = GENERATE(2, 3, 5);
  auto comms = weft::Comm::initAll(ranks);
  std::vector<std::string> errors(static_cast<size_t>(ranks));
  // Pairs in one global order, the lower rank sending first: the earliest unfinished pair always
  // has both its ranks at it, so nothing waits forever.
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    for (int a = 0; a < ranks; ++a) {
      for (int b = a + 1; b < ranks; ++b) {
        if (rank != a && rank != b) continue;
        for (std::string err : {burst(comm, a, b), burst(comm, b, a)}) {
          if (errors[size_t(rank)].empty()) errors[size_t(rank)] = err;
        }
      }
    }
  });
  INFO("ranks=" << ranks);
  for (auto& e : errors) CHECK(e == "");
}

TEST_CASE("send/recv: small messages are buffered, so every rank may send before it receives", "[sendrecv]") {
  const int ranks = GENERATE(2, 3, 5);
  auto comms = weft::Comm::initAll(ranks);
  std::vector<std::string> errors(static_cast<size_t>(ranks));
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    const int next = (rank + 1) % ranks, prev = (rank + ranks - 1) % ranks;
    constexpr size_t kCount = 1000;  // 4000 bytes: well inside one FIFO slot
    GuardedBuffer send(kCount * 4, 0), recv(kCount * 4, 0xC3);
    fillPattern(send.data(), kCount * 4, rank, next);
    comm.send(send.data(), kCount, weftFloat32, next);
    comm.recv(recv.data(), kCount, weftFloat32, prev);
    errors[size_t(rank)] =
        recv.guardsIntact() ? comparePattern(recv.data(), kCount * 4, prev, rank) : "wrote outside its buffer";
  });
  INFO("ranks=" << ranks);
  for (auto& e : errors) CHECK(e == "");
}

TEST_CASE("send/recv: tiny slots force many rounds and full FIFOs", "[sendrecv]") {
  auto comms = weft::test::initAllWith(GENERATE(2, 3, 4), weft::test::kTinySlots);
  const std::vector<Case> cases = {{weftFloat64, weftSum, 1, 0, false}, {weftInt8, weftSum, 1001, 0, false}};
  REQUIRE(runCases(comms, cases, checkSendRecvRing) == "");
}

TEST_CASE("send/recv: count 0 accepts NULL and does not swallow the next message", "[sendrecv]") {
  auto comms = weft::Comm::initAll(2);
  std::vector<weftResult_t> codes(4, weftInternalError);
  std::vector<int32_t> got(3, 0);
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    if (rank == 0) {
      const int32_t data[3] = {11, -22, 33};
      codes[0] = weftSend(nullptr, 0, weftInt32, 1, comm.get(), nullptr);
      codes[1] = weftSend(data, 3, weftInt32, 1, comm.get(), nullptr);
    } else {
      codes[2] = weftRecv(nullptr, 0, weftInt32, 0, comm.get(), nullptr);
      codes[3] = weftRecv(got.data(), 3, weftInt32, 0, comm.get(), nullptr);
    }
  });
  CHECK(codes == std::vector<weftResult_t>(4, weftSuccess));
  CHECK(got == std::vector<int32_t>{11, -22, 33});
}

TEST_CASE("send/recv: a rank cannot send to or receive from itself", "[sendrecv]") {
  const int ranks = GENERATE(1, 3);
  auto comms = weft::Comm::initAll(ranks);
  std::vector<weftResult_t> sends(size_t(ranks), weftSuccess), recvs(size_t(ranks), weftSuccess);
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    float x = 1;
    sends[size_t(rank)] = weftSend(&x, 1, weftFloat32, rank, comm.get(), nullptr);
    recvs[size_t(rank)] = weftRecv(&x, 1, weftFloat32, rank, comm.get(), nullptr);
  });
  CHECK(sends == std::vector<weftResult_t>(size_t(ranks), weftInvalidArgument));
  CHECK(recvs == std::vector<weftResult_t>(size_t(ranks), weftInvalidArgument));
  // The refused calls left nothing behind: the communicator still works.
  if (ranks > 1) CHECK(runCases(comms, {{weftInt32, weftSum, 1000, 0, false}}, checkSendRecvRing) == "");
}
