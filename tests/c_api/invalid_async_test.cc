// SPDX-License-Identifier: Apache-2.0
// Bad input to the nonblocking variants, to weftWait/weftTest, and to the communicator calls
// added with issue 7 (abort, async error, failed ranks, shrink): refused with weftInvalidArgument and a message
// naming the function, no request made, nothing printed.
#include "tests/c_api/refusal.h"

TEST_CASE("the nonblocking calls refuse what their blocking twins refuse, and a NULL request", "[c_api]") {
  Comms c;
  std::vector<float> buf(64, 1.0f), out(64, 0.0f);
  float *b = buf.data(), *o = out.data();
  weftRequest_t req = nullptr;
  requireRefused([&](Recorder& rec) {
    rec("allreduce NULL request", "weftAllReduceAsync", weftAllReduceAsync(b, o, 4, weftFloat, weftSum, c.one(), nullptr, nullptr));
    rec("allreduce NULL sendbuff", "weftAllReduceAsync", weftAllReduceAsync(nullptr, o, 4, weftFloat, weftSum, c.one(), nullptr, &req));
    rec("broadcast root -1", "weftBroadcastAsync", weftBroadcastAsync(b, o, 4, weftFloat, -1, c.one(), nullptr, &req));
    rec("reduce weftNumOps", "weftReduceAsync", weftReduceAsync(b, o, 4, weftFloat, weftNumOps, 0, c.one(), nullptr, &req));
    rec("allgather weftNumTypes", "weftAllGatherAsync", weftAllGatherAsync(b, o, 4, weftNumTypes, c.one(), nullptr, &req));
    rec("reducescatter overflowing count", "weftReduceScatterAsync",
        weftReduceScatterAsync(b, o, kOverflowsTwoRanks, weftFloat, weftSum, c.two(0), nullptr, &req));
    rec("alltoall NULL recvbuff", "weftAllToAllAsync", weftAllToAllAsync(b, nullptr, 4, weftFloat, c.one(), nullptr, &req));
    rec("scatter root = nranks", "weftScatterAsync", weftScatterAsync(b, o, 4, weftFloat, 2, c.two(0), nullptr, &req));
    rec("gather stream", "weftGatherAsync", weftGatherAsync(b, o, 4, weftFloat, 0, c.one(), kStream, &req));
    rec("send to itself out of range", "weftSendAsync", weftSendAsync(b, 4, weftFloat, 5, c.two(0), nullptr, &req));
    rec("recv NULL recvbuff", "weftRecvAsync", weftRecvAsync(nullptr, 4, weftFloat, 1, c.two(0), nullptr, &req));
    rec("barrier destroyed comm", "weftBarrierAsync", weftBarrierAsync(c.dead, nullptr, &req));
    rec("barrier NULL comm", "weftBarrierAsync", weftBarrierAsync(nullptr, nullptr, &req));
    rec("wait NULL", "weftWait", weftWait(nullptr));
    int done = 0;
    rec("test NULL request", "weftTest", weftTest(nullptr, &done));
  });
  CHECK(req == nullptr);
  CHECK(out == std::vector<float>(64, 0.0f));
}

TEST_CASE("abort, async error, failed ranks and shrink refuse bad handles and arguments", "[c_api]") {
  Comms c;
  weftResult_t async = weftSuccess;
  weftComm_t child = nullptr;
  const int one[] = {1}, self[] = {0};
  requireRefused([&](Recorder& rec) {
    rec("abort destroyed comm", "weftCommAbort", weftCommAbort(c.dead));
    rec("async error NULL result", "weftCommGetAsyncError", weftCommGetAsyncError(c.one(), nullptr));
    rec("async error destroyed comm", "weftCommGetAsyncError", weftCommGetAsyncError(c.dead, &async));
    rec("shrink NULL newcomm", "weftCommShrink", weftCommShrink(c.two(0), one, 1, nullptr, WEFT_SHRINK_DEFAULT));
    rec("shrink itself", "weftCommShrink", weftCommShrink(c.two(0), self, 1, &child, WEFT_SHRINK_DEFAULT));
    rec("shrink rank out of range", "weftCommShrink", weftCommShrink(c.one(), one, 1, &child, WEFT_SHRINK_DEFAULT));
    rec("shrink bad flags", "weftCommShrink", weftCommShrink(c.two(0), one, 1, &child, 3));
    rec("shrink negative count", "weftCommShrink", weftCommShrink(c.two(0), one, -2, &child, 0));
    rec("shrink destroyed comm", "weftCommShrink", weftCommShrink(c.dead, one, 1, &child, 0));
    int ranks[2], count = 0;
    rec("failed ranks NULL count", "weftCommGetFailedRanks", weftCommGetFailedRanks(c.one(), ranks, 2, nullptr));
    rec("failed ranks NULL ranks", "weftCommGetFailedRanks", weftCommGetFailedRanks(c.one(), nullptr, 2, &count));
    rec("failed ranks negative capacity", "weftCommGetFailedRanks", weftCommGetFailedRanks(c.one(), ranks, -1, &count));
    rec("failed ranks destroyed comm", "weftCommGetFailedRanks", weftCommGetFailedRanks(c.dead, ranks, 2, &count));
  });
  CHECK(child == nullptr);
  CHECK(async == weftSuccess);
}
