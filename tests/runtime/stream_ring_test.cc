// SPDX-License-Identifier: Apache-2.0
// The device ring as a communicator runs it (Note [Device link]), on the test device runtime: it
// takes all-reduce and broadcast unless WEFT_CUDA_LINK=staged, keeps a communicator's calls in
// order across streams, frees its memory on destroy, and fails cleanly: a set-up that cannot
// reach a peer, a peer that never comes (WEFT_TIMEOUT), weftCommAbort, calls that differ.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/fake_device.h"
#include "tests/support/ranks.h"

using namespace weft::test;
using weft::Comm;

TEST_CASE("a communicator's ring calls follow each other across streams", "[ring]") {
  FakeDevice dev;
  const int n = GENERATE(2, 3);
  constexpr size_t kCount = 50000;
  auto comms = Comm::initAll(n);
  onEachRank(comms, [&](Comm& comm, int rank) {
    FakeStream a, b;
    void* d = dev.malloc(kCount * 4);
    // Each call doubles (times n) what the one before left, on the other stream: a call that ran
    // before the one it follows would read a stale input.
    fillOnStream(dev, a, d, kCount, rank + 1);
    int64_t want = int64_t(n) * (n + 1) / 2;
    for (int i = 0; i < 6; ++i) {
      FakeStream& s = i % 2 == 0 ? a : b;
      if (weftAllReduce(d, d, kCount, weftInt32, weftSum, comm.get(), s.handle()) != weftSuccess) {
        throw std::runtime_error(weftGetLastError(comm.get()));
      }
      if (i > 0) want *= n;
    }
    a.synchronize();
    const std::vector<int32_t> got = readOnStream(dev, b, d, kCount);
    if (got != std::vector<int32_t>(kCount, int32_t(want))) {
      throw std::runtime_error("rank " + std::to_string(rank) + ": " + std::to_string(got[0]) + ", want " +
                               std::to_string(want));
    }
    dev.free(d);
  });
  CHECK(dev.ringLaunches() == 6 * n);
  comms.clear();
  CHECK(dev.deviceLive() == 0);  // destroy freed the workspaces
  CHECK(dev.pinnedLive() == 0);
}

TEST_CASE("WEFT_CUDA_LINK=staged keeps all-reduce and broadcast off the device ring", "[ring]") {
  FakeDevice dev;
  auto comms = initAllWith(2, {{"WEFT_CUDA_LINK", "staged"}});
  onEachRank(comms, [&](Comm& comm, int rank) {
    FakeStream s;
    void* d = dev.malloc(1000 * 4);
    fillOnStream(dev, s, d, 1000, rank + 1);
    REQUIRE(weftAllReduce(d, d, 1000, weftInt32, weftSum, comm.get(), s.handle()) == weftSuccess);
    REQUIRE(weftBroadcast(d, d, 1000, weftInt32, 0, comm.get(), s.handle()) == weftSuccess);
    if (readOnStream(dev, s, d, 1000) != std::vector<int32_t>(1000, 3)) throw std::runtime_error("wrong result");
    dev.free(d);
  });
  CHECK(dev.ringLaunches() == 0);
}

TEST_CASE("ranks that share a GPU stage their calls, unless WEFT_CUDA_LINK=ring", "[ring]") {
  // Note [Device link]: the GPU would run their kernels by turns (processes), or need all their
  // blocks resident and their streams on separate hardware queues at once (threads).
  FakeDevice dev;
  dev.shareOneGpu();
  const std::string link = GENERATE("auto", "ring");
  auto comms = initAllWith(3, {{"WEFT_CUDA_LINK", link}});
  onEachRank(comms, [&](Comm& comm, int rank) {
    FakeStream s;
    void* d = dev.malloc(1000 * 4);
    fillOnStream(dev, s, d, 1000, rank + 1);
    REQUIRE(weftAllReduce(d, d, 1000, weftInt32, weftSum, comm.get(), s.handle()) == weftSuccess);
    REQUIRE(weftBroadcast(d, d, 1000, weftInt32, 2, comm.get(), s.handle()) == weftSuccess);
    if (readOnStream(dev, s, d, 1000) != std::vector<int32_t>(1000, 6)) throw std::runtime_error("wrong result");
    dev.free(d);
  });
  CHECK(dev.ringLaunches() == (link == "ring" ? 6 : 0));
}

TEST_CASE("a ring call with another device current is refused, and changes nothing", "[ring]") {
  FakeDevice dev;
  auto comms = Comm::initAll(2);
  std::vector<std::string> refusals(2);
  onEachRank(comms, [&](Comm& comm, int rank) {
    FakeStream s;
    void* d = dev.malloc(1000 * 4);
    fillOnStream(dev, s, d, 1000, rank + 1);
    REQUIRE(weftAllReduce(d, d, 1000, weftInt32, weftSum, comm.get(), s.handle()) == weftSuccess);
    if (rank == 0) {
      dev.useDevice(1);
      REQUIRE(weftAllReduce(d, d, 1000, weftInt32, weftSum, comm.get(), s.handle()) == weftInvalidArgument);
      refusals[0] = weftGetLastError(comm.get());
      dev.useDevice(0);
    }
    REQUIRE(weftAllReduce(d, d, 1000, weftInt32, weftSum, comm.get(), s.handle()) == weftSuccess);
    if (readOnStream(dev, s, d, 1000) != std::vector<int32_t>(1000, 6)) throw std::runtime_error("wrong result");
    dev.free(d);
  });
  CHECK_THAT(refusals[0], Catch::Contains("on device 0, but the current device is 1"));
  CHECK(dev.ringLaunches() == 4);
}

TEST_CASE("a ring that cannot reach a peer fails every rank, and the streams go on", "[ring]") {
  FakeDevice dev;
  dev.refusePeers();
  auto comms = Comm::initAll(3);
  std::vector<weftResult_t> results(3);
  std::vector<std::string> messages(3);
  onEachRank(comms, [&](Comm& comm, int rank) {
    FakeStream s;
    void* d = dev.malloc(1000 * 4);
    weftRequest_t req = nullptr;
    REQUIRE(weftAllReduceAsync(d, d, 1000, weftInt32, weftSum, comm.get(), s.handle(), &req) == weftSuccess);
    results[size_t(rank)] = weftWait(&req);
    messages[size_t(rank)] = weftGetLastError(comm.get());
    s.synchronize();  // the kernel returned at once
    dev.free(d);
  });
  for (int r = 0; r < 3; ++r) {
    CHECK(results[size_t(r)] == weftUnhandledCudaError);
    CHECK(asyncError(comms[size_t(r)].get()) == weftUnhandledCudaError);
  }
  // The rank that could not reach its peers says so; the others, that one could not.
  for (const std::string& m : messages) CHECK_THAT(m, Catch::Contains("cannot reach") || Catch::Contains("could not reach"));
}

TEST_CASE("a ring call whose peer never comes fails within WEFT_TIMEOUT; abort stops one at once", "[ring]") {
  FakeDevice dev;
  const bool byAbort = GENERATE(false, true);
  auto comms = initAllWith(2, {{"WEFT_TIMEOUT", byAbort ? "300" : "1"}});
  std::vector<weftResult_t> results(2, weftSuccess);
  onEachRank(comms, [&](Comm& comm, int rank) {
    FakeStream s;
    void* d = dev.malloc(1000 * 4);
    // Both set the ring up (a first call), then rank 1 stays away from the second.
    REQUIRE(weftAllReduce(d, d, 1000, weftInt32, weftSum, comm.get(), s.handle()) == weftSuccess);
    s.synchronize();
    if (rank == 0) {
      weftRequest_t req = nullptr;
      REQUIRE(weftAllReduceAsync(d, d, 1000, weftInt32, weftSum, comm.get(), s.handle(), &req) == weftSuccess);
      std::thread stopper;
      if (byAbort) {
        stopper = std::thread([&] {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          comm.abort();
        });
      }
      results[0] = weftWait(&req);
      if (stopper.joinable()) stopper.join();
      s.synchronize();  // the kernel gave up
    }
    dev.free(d);
  });
  CHECK(results[0] == (byAbort ? weftInvalidUsage : weftTimeout));
}

TEST_CASE("a thread rank's workspace lives until the last communicator mapping it is destroyed", "[ring]") {
  FakeDevice dev;
  auto comms = Comm::initAll(2);
  onEachRank(comms, [&](Comm& comm, int rank) {
    FakeStream s;
    void* d = dev.malloc(1000 * 4);
    fillOnStream(dev, s, d, 1000, rank + 1);
    REQUIRE(weftAllReduce(d, d, 1000, weftInt32, weftSum, comm.get(), s.handle()) == weftSuccess);
    if (readOnStream(dev, s, d, 1000) != std::vector<int32_t>(1000, 3)) throw std::runtime_error("wrong sum");
    dev.free(d);
  });
  CHECK(dev.deviceLive() == 4);  // a workspace and a table per rank
  // Rank 1's kernels may still look at rank 0's counters: rank 0's destroy frees only its table.
  comms[0] = Comm();
  CHECK(dev.deviceLive() == 3);
  comms.clear();
  CHECK(dev.deviceLive() == 0);
}

TEST_CASE("ring calls that differ fail with weftInvalidUsage naming both, not with mixed results", "[ring]") {
  // Rank 1 calls max where the others call sum, or an empty all-reduce before the one the others
  // call (its next call is then a call ahead). The ranks that read its slots, or that it reads,
  // fail at once; a rank left waiting for one that stopped, by WEFT_TIMEOUT.
  FakeDevice dev;
  const std::string algo = GENERATE("ring", "tree");
  const bool empty = GENERATE(false, true);
  const int n = 3;
  auto comms = initAllWith(n, {{"WEFT_TIMEOUT", "2"}, {"WEFT_CUDA_ALGO", algo}});
  std::vector<weftResult_t> results(n, weftSuccess);
  std::vector<std::string> messages(n);
  onEachRank(comms, [&](Comm& comm, int rank) {
    FakeStream s;
    void* d = dev.malloc(1000 * 4);
    fillOnStream(dev, s, d, 1000, rank + 1);
    REQUIRE(weftAllReduce(d, d, 1000, weftInt32, weftSum, comm.get(), s.handle()) == weftSuccess);  // set-up
    if (rank == 1 && empty) REQUIRE(weftAllReduce(d, d, 0, weftInt32, weftSum, comm.get(), s.handle()) == weftSuccess);
    const weftRedOp_t op = rank == 1 && !empty ? weftMax : weftSum;
    weftRequest_t req = nullptr;
    REQUIRE(weftAllReduceAsync(d, d, 1000, weftInt32, op, comm.get(), s.handle(), &req) == weftSuccess);
    results[size_t(rank)] = weftWait(&req);
    messages[size_t(rank)] = weftGetLastError(comm.get());
    s.synchronize();
    dev.free(d);
  });
  int named = 0;
  for (int r = 0; r < n; ++r) {
    INFO("WEFT_CUDA_ALGO=" << algo << (empty ? ", an empty call" : ", max against sum") << ", rank " << r << ": "
                           << messages[size_t(r)]);
    CHECK((results[size_t(r)] == weftInvalidUsage || results[size_t(r)] == weftTimeout));
    if (results[size_t(r)] != weftInvalidUsage) continue;
    ++named;
    CHECK_THAT(messages[size_t(r)], Catch::Contains("on the device ring"));
    if (empty) {
      CHECK_THAT(messages[size_t(r)], Catch::Contains("an earlier or later call"));
    } else {
      CHECK_THAT(messages[size_t(r)], Catch::Contains("allreduce(count=1000, int32, max)"));
      CHECK_THAT(messages[size_t(r)], Catch::Contains("allreduce(count=1000, int32, sum)"));
    }
  }
  CHECK(named > 0);
}
