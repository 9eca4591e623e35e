// SPDX-License-Identifier: Apache-2.0
// Bad input to the collectives beyond all-reduce and broadcast: each is refused with
// weftInvalidArgument and a message, touches no buffer, and prints nothing.
#include "tests/c_api/refusal.h"

TEST_CASE("weftReduce refuses bad arguments; recvbuff may be NULL off the root", "[c_api]") {
  Comms c;
  std::vector<float> buf(64, 1.0f), out(64, 0.0f);
  float *b = buf.data(), *o = out.data();
  requireRefused([&](Recorder& rec) {
    rec("reduce NULL sendbuff", "weftReduce", weftReduce(nullptr, o, 4, weftFloat, weftSum, 0, c.one(), nullptr));
    rec("reduce NULL recvbuff on root", "weftReduce", weftReduce(b, nullptr, 4, weftFloat, weftSum, 0, c.one(), nullptr));
    rec("reduce NULL sendbuff off root", "weftReduce", weftReduce(nullptr, nullptr, 4, weftFloat, weftSum, 0, c.two(1), nullptr));
    rec("reduce overflowing count", "weftReduce", weftReduce(b, o, kOverflowsOneRank, weftFloat, weftSum, 0, c.one(), nullptr));
    rec("reduce weftNumTypes", "weftReduce", weftReduce(b, o, 4, weftNumTypes, weftSum, 0, c.one(), nullptr));
    rec("reduce weftNumOps", "weftReduce", weftReduce(b, o, 4, weftFloat, weftNumOps, 0, c.one(), nullptr));
    rec("reduce root -1", "weftReduce", weftReduce(b, o, 4, weftFloat, weftSum, -1, c.one(), nullptr));
    rec("reduce root = nranks", "weftReduce", weftReduce(b, o, 4, weftFloat, weftSum, 2, c.two(0), nullptr));
    rec("reduce recv = send + 1 on root", "weftReduce", weftReduce(b, b + 1, 8, weftFloat, weftSum, 0, c.one(), nullptr));
    rec("reduce stream", "weftReduce", weftReduce(b, o, 4, weftFloat, weftSum, 0, c.one(), kStream));
    rec("reduce NULL comm", "weftReduce", weftReduce(b, o, 4, weftFloat, weftSum, 0, nullptr, nullptr));
    rec("reduce destroyed comm", "weftReduce", weftReduce(b, o, 4, weftFloat, weftSum, 0, c.dead, nullptr));
  });
  CHECK(out == std::vector<float>(64, 0.0f));
  CHECK(buf == std::vector<float>(64, 1.0f));
  CHECK(weftReduce(nullptr, nullptr, 0, weftFloat, weftSum, 0, c.one(), nullptr) == weftSuccess);
  std::vector<float> sum(4, 0.0f);
  CHECK(onTwoRanks(c.twos, [&](weftComm_t comm, int rank) {
          std::vector<float> in(4, float(rank + 1));
          return weftReduce(in.data(), rank == 1 ? sum.data() : nullptr, 4, weftFloat, weftSum, 1, comm, nullptr);
        }) == kBothSucceed);
  CHECK(sum == std::vector<float>(4, 3.0f));
}

TEST_CASE("weftAllGather refuses bad arguments and overlap other than in place", "[c_api]") {
  Comms c;
  std::vector<float> buf(64, 1.0f), out(64, 0.0f);
  float *b = buf.data(), *o = out.data();
  requireRefused([&](Recorder& rec) {
    rec("allgather NULL sendbuff", "weftAllGather", weftAllGather(nullptr, o, 4, weftFloat, c.one(), nullptr));
    rec("allgather NULL recvbuff", "weftAllGather", weftAllGather(b, nullptr, 4, weftFloat, c.one(), nullptr));
    rec("allgather count*nranks overflows", "weftAllGather", weftAllGather(b, o, kOverflowsTwoRanks, weftFloat, c.two(0), nullptr));
    rec("allgather weftNumTypes", "weftAllGather", weftAllGather(b, o, 4, weftNumTypes, c.one(), nullptr));
    rec("allgather send = recv + 1 on rank 0", "weftAllGather", weftAllGather(b + 1, b, 4, weftFloat, c.two(0), nullptr));
    rec("allgather send = recv on rank 1", "weftAllGather", weftAllGather(b, b, 4, weftFloat, c.two(1), nullptr));
    rec("allgather recv inside send", "weftAllGather", weftAllGather(b, b + 2, 4, weftFloat, c.one(), nullptr));
    rec("allgather stream", "weftAllGather", weftAllGather(b, o, 4, weftFloat, c.one(), kStream));
    rec("allgather destroyed comm", "weftAllGather", weftAllGather(b, o, 4, weftFloat, c.dead, nullptr));
  });
  CHECK(out == std::vector<float>(64, 0.0f));
  CHECK(weftAllGather(nullptr, nullptr, 0, weftFloat, c.one(), nullptr) == weftSuccess);
  CHECK(weftAllGather(b, b, 64, weftFloat, c.one(), nullptr) == weftSuccess);  // in place on one rank
  CHECK(onTwoRanks(c.twos, [&](weftComm_t comm, int rank) {  // in place: recvbuff + rank * sendcount
          std::vector<float> all(8, float(rank));
          return weftAllGather(all.data() + rank * 4, all.data(), 4, weftFloat, comm, nullptr);
        }) == kBothSucceed);
}

TEST_CASE("weftReduceScatter refuses bad arguments and overlap other than in place", "[c_api]") {
  Comms c;
  std::vector<float> buf(64, 1.0f), out(64, 0.0f);
  float *b = buf.data(), *o = out.data();
  requireRefused([&](Recorder& rec) {
    rec("reducescatter NULL sendbuff", "weftReduceScatter", weftReduceScatter(nullptr, o, 4, weftFloat, weftSum, c.one(), nullptr));
    rec("reducescatter NULL recvbuff", "weftReduceScatter", weftReduceScatter(b, nullptr, 4, weftFloat, weftSum, c.one(), nullptr));
    rec("reducescatter count*nranks overflows", "weftReduceScatter",
        weftReduceScatter(b, o, kOverflowsTwoRanks, weftFloat, weftSum, c.two(0), nullptr));
    rec("reducescatter weftNumTypes", "weftReduceScatter", weftReduceScatter(b, o, 4, weftNumTypes, weftSum, c.one(), nullptr));
    rec("reducescatter weftNumOps", "weftReduceScatter", weftReduceScatter(b, o, 4, weftFloat, weftNumOps, c.one(), nullptr));
    rec("reducescatter recv = send on rank 1", "weftReduceScatter", weftReduceScatter(b, b, 4, weftFloat, weftSum, c.two(1), nullptr));
    rec("reducescatter recv = send + 3 on rank 0", "weftReduceScatter",
        weftReduceScatter(b, b + 3, 4, weftFloat, weftSum, c.two(0), nullptr));
    rec("reducescatter stream", "weftReduceScatter", weftReduceScatter(b, o, 4, weftFloat, weftSum, c.one(), kStream));
    rec("reducescatter destroyed comm", "weftReduceScatter", weftReduceScatter(b, o, 4, weftFloat, weftSum, c.dead, nullptr));
  });
  CHECK(out == std::vector<float>(64, 0.0f));
  CHECK(weftReduceScatter(nullptr, nullptr, 0, weftFloat, weftSum, c.one(), nullptr) == weftSuccess);
  CHECK(onTwoRanks(c.twos, [&](weftComm_t comm, int rank) {  // in place: sendbuff + rank * recvcount
          std::vector<float> all(8, float(rank));
          return weftReduceScatter(all.data(), all.data() + rank * 4, 4, weftFloat, weftSum, comm, nullptr);
        }) == kBothSucceed);
}

TEST_CASE("weftAllToAll refuses bad arguments and any overlap", "[c_api]") {
  Comms c;
  std::vector<float> buf(64, 1.0f), out(64, 0.0f);
  float *b = buf.data(), *o = out.data();
  requireRefused([&](Recorder& rec) {
    rec("alltoall NULL sendbuff", "weftAllToAll", weftAllToAll(nullptr, o, 4, weftFloat, c.one(), nullptr));
    rec("alltoall NULL recvbuff", "weftAllToAll", weftAllToAll(b, nullptr, 4, weftFloat, c.one(), nullptr));
    rec("alltoall count*nranks overflows", "weftAllToAll", weftAllToAll(b, o, kOverflowsTwoRanks, weftFloat, c.two(0), nullptr));
    rec("alltoall weftNumTypes", "weftAllToAll", weftAllToAll(b, o, 4, weftNumTypes, c.one(), nullptr));
    rec("alltoall send = recv", "weftAllToAll", weftAllToAll(b, b, 4, weftFloat, c.one(), nullptr));
    rec("alltoall send = recv on two ranks", "weftAllToAll", weftAllToAll(b, b, 4, weftFloat, c.two(0), nullptr));
    rec("alltoall recv = send + 7", "weftAllToAll", weftAllToAll(b, b + 7, 8, weftFloat, c.two(1), nullptr));
    rec("alltoall stream", "weftAllToAll", weftAllToAll(b, o, 4, weftFloat, c.one(), kStream));
    rec("alltoall destroyed comm", "weftAllToAll", weftAllToAll(b, o, 4, weftFloat, c.dead, nullptr));
  });
  CHECK(out == std::vector<float>(64, 0.0f));
  CHECK(weftAllToAll(nullptr, nullptr, 0, weftFloat, c.one(), nullptr) == weftSuccess);
  CHECK(weftAllToAll(b, b + 4, 4, weftFloat, c.one(), nullptr) == weftSuccess);  // adjacent, not overlapping
}

TEST_CASE("weftScatter refuses bad arguments; sendbuff may be NULL off the root", "[c_api]") {
  Comms c;
  std::vector<float> buf(64, 1.0f), out(64, 0.0f);
  float *b = buf.data(), *o = out.data();
  requireRefused([&](Recorder& rec) {
    rec("scatter NULL sendbuff on root", "weftScatter", weftScatter(nullptr, o, 4, weftFloat, 0, c.one(), nullptr));
    rec("scatter NULL recvbuff", "weftScatter", weftScatter(b, nullptr, 4, weftFloat, 0, c.one(), nullptr));
    rec("scatter NULL recvbuff off root", "weftScatter", weftScatter(nullptr, nullptr, 4, weftFloat, 0, c.two(1), nullptr));
    rec("scatter count*nranks overflows on root", "weftScatter", weftScatter(b, o, kOverflowsTwoRanks, weftFloat, 0, c.two(0), nullptr));
    rec("scatter count*nranks overflows off root", "weftScatter", weftScatter(b, o, kOverflowsTwoRanks, weftFloat, 0, c.two(1), nullptr));
    rec("scatter weftNumTypes", "weftScatter", weftScatter(b, o, 4, weftNumTypes, 0, c.one(), nullptr));
    rec("scatter root -1", "weftScatter", weftScatter(b, o, 4, weftFloat, -1, c.one(), nullptr));
    rec("scatter root = nranks", "weftScatter", weftScatter(b, o, 4, weftFloat, 2, c.two(1), nullptr));
    rec("scatter recv = send on root 1", "weftScatter", weftScatter(b, b, 4, weftFloat, 1, c.two(1), nullptr));
    rec("scatter recv = send + 1 on root 0", "weftScatter", weftScatter(b, b + 1, 4, weftFloat, 0, c.one(), nullptr));
    rec("scatter stream", "weftScatter", weftScatter(b, o, 4, weftFloat, 0, c.one(), kStream));
    rec("scatter destroyed comm", "weftScatter", weftScatter(b, o, 4, weftFloat, 0, c.dead, nullptr));
  });
  CHECK(out == std::vector<float>(64, 0.0f));
  CHECK(weftScatter(nullptr, nullptr, 0, weftFloat, 0, c.one(), nullptr) == weftSuccess);
  std::vector<float> got(4, 0.0f);
  CHECK(onTwoRanks(c.twos, [&](weftComm_t comm, int rank) {
          std::vector<float> all{1, 2, 3, 4, 5, 6, 7, 8};  // in place on the root: sendbuff + root * count
          return rank == 1 ? weftScatter(all.data(), all.data() + 4, 4, weftFloat, 1, comm, nullptr)
                           : weftScatter(nullptr, got.data(), 4, weftFloat, 1, comm, nullptr);
        }) == kBothSucceed);
  CHECK(got == std::vector<float>{1, 2, 3, 4});
}

TEST_CASE("weftGather refuses bad arguments; recvbuff may be NULL off the root", "[c_api]") {
  Comms c;
  std::vector<float> buf(64, 1.0f), out(64, 0.0f);
  float *b = buf.data(), *o = out.data();
  requireRefused([&](Recorder& rec) {
    rec("gather NULL sendbuff", "weftGather", weftGather(nullptr, o, 4, weftFloat, 0, c.one(), nullptr));
    rec("gather NULL sendbuff off root", "weftGather", weftGather(nullptr, nullptr, 4, weftFloat, 0, c.two(1), nullptr));
    rec("gather NULL recvbuff on root", "weftGather", weftGather(b, nullptr, 4, weftFloat, 0, c.one(), nullptr));
    rec("gather count*nranks overflows on root", "weftGather", weftGather(b, o, kOverflowsTwoRanks, weftFloat, 0, c.two(0), nullptr));
    rec("gather count*nranks overflows off root", "weftGather", weftGather(b, o, kOverflowsTwoRanks, weftFloat, 0, c.two(1), nullptr));
    rec("gather weftNumTypes", "weftGather", weftGather(b, o, 4, weftNumTypes, 0, c.one(), nullptr));
    rec("gather root -1", "weftGather", weftGather(b, o, 4, weftFloat, -1, c.one(), nullptr));
    rec("gather root = nranks", "weftGather", weftGather(b, o, 4, weftFloat, 2, c.two(0), nullptr));
    rec("gather send = recv on root 1", "weftGather", weftGather(b, b, 4, weftFloat, 1, c.two(1), nullptr));
    rec("gather send = recv + 2 on root 0", "weftGather", weftGather(b + 2, b, 4, weftFloat, 0, c.one(), nullptr));
    rec("gather stream", "weftGather", weftGather(b, o, 4, weftFloat, 0, c.one(), kStream));
    rec("gather destroyed comm", "weftGather", weftGather(b, o, 4, weftFloat, 0, c.dead, nullptr));
  });
  CHECK(out == std::vector<float>(64, 0.0f));
  CHECK(weftGather(nullptr, nullptr, 0, weftFloat, 0, c.one(), nullptr) == weftSuccess);
  std::vector<float> all(8, 0.0f);
  CHECK(onTwoRanks(c.twos, [&](weftComm_t comm, int rank) {
          std::vector<float> mine(4, 9.0f);  // in place on the root: recvbuff + root * count
          if (rank == 0) return weftGather(mine.data(), nullptr, 4, weftFloat, 1, comm, nullptr);
          std::fill(all.begin() + 4, all.end(), 5.0f);
          return weftGather(all.data() + 4, all.data(), 4, weftFloat, 1, comm, nullptr);
        }) == kBothSucceed);
  CHECK(all == std::vector<float>{9, 9, 9, 9, 5, 5, 5, 5});
}

TEST_CASE("weftSend and weftRecv refuse bad arguments, self included", "[c_api]") {
  Comms c;
  std::vector<float> buf(64, 1.0f);
  float* b = buf.data();
  requireRefused([&](Recorder& rec) {
    rec("send NULL sendbuff", "weftSend", weftSend(nullptr, 4, weftFloat, 1, c.two(0), nullptr));
    rec("recv NULL recvbuff", "weftRecv", weftRecv(nullptr, 4, weftFloat, 0, c.two(1), nullptr));
    rec("send overflowing count", "weftSend", weftSend(b, kOverflowsOneRank, weftFloat, 1, c.two(0), nullptr));
    rec("recv overflowing count", "weftRecv", weftRecv(b, kOverflowsOneRank, weftFloat, 0, c.two(1), nullptr));
    rec("send weftNumTypes", "weftSend", weftSend(b, 4, weftNumTypes, 1, c.two(0), nullptr));
    rec("recv weftNumTypes", "weftRecv", weftRecv(b, 4, weftNumTypes, 0, c.two(1), nullptr));
    rec("send peer -1", "weftSend", weftSend(b, 4, weftFloat, -1, c.two(0), nullptr));
    rec("recv peer = nranks", "weftRecv", weftRecv(b, 4, weftFloat, 2, c.two(0), nullptr));
    rec("send to self", "weftSend", weftSend(b, 4, weftFloat, 0, c.one(), nullptr));
    rec("recv from self", "weftRecv", weftRecv(b, 4, weftFloat, 1, c.two(1), nullptr));
    rec("send stream", "weftSend", weftSend(b, 4, weftFloat, 1, c.two(0), kStream));
    rec("recv stream", "weftRecv", weftRecv(b, 4, weftFloat, 0, c.two(1), kStream));
    rec("send destroyed comm", "weftSend", weftSend(b, 4, weftFloat, 0, c.dead, nullptr));
    rec("recv NULL comm", "weftRecv", weftRecv(b, 4, weftFloat, 0, nullptr, nullptr));
  });
  CHECK(buf == std::vector<float>(64, 1.0f));
  // The refusals sent nothing: the next message from 0 to 1 is the first one received.
  std::vector<float> got(4, 0.0f);
  CHECK(onTwoRanks(c.twos, [&](weftComm_t comm, int rank) {
          const float data[4] = {4, 3, 2, 1};
          return rank == 0 ? weftSend(data, 4, weftFloat, 1, comm, nullptr) : weftRecv(got.data(), 4, weftFloat, 0, comm, nullptr);
        }) == kBothSucceed);
  CHECK(got == std::vector<float>{4, 3, 2, 1});
}

TEST_CASE("weftBarrier refuses a stream and NULL or destroyed communicators", "[c_api]") {
  Comms c;
  requireRefused([&](Recorder& rec) {
    rec("barrier stream", "weftBarrier", weftBarrier(c.one(), kStream));
    rec("barrier NULL comm", "weftBarrier", weftBarrier(nullptr, nullptr));
    rec("barrier destroyed comm", "weftBarrier", weftBarrier(c.dead, nullptr));
  });
  CHECK(weftBarrier(c.one(), nullptr) == weftSuccess);
  CHECK(onTwoRanks(c.twos, [](weftComm_t comm, int) { return weftBarrier(comm, nullptr); }) == kBothSucceed);
}
