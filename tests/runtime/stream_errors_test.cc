// SPDX-License-Identifier: Apache-2.0
// Calls on streams that go wrong (Note [Stream-ordered calls]), on the test device runtime: host
// and device buffers mixed, a device buffer with a NULL stream, a stream that never reaches its
// call, requests on streams, communicators destroyed or aborted with calls on streams queued, and
// a stream being captured into a graph.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/fake_device.h"
#include "tests/support/ranks.h"

using namespace weft::test;

namespace {

std::string lastError(weftComm_t c) { return weftGetLastError(c); }

}  // namespace

TEST_CASE("host and device buffers do not mix in a call", "[stream]") {
  FakeDevice dev;
  FakeStream stream;
  auto comms = weft::Comm::initAll(1);
  weftComm_t c = comms[0].get();
  void* d = dev.malloc(64);
  std::vector<int32_t> h(16);

  CHECK(weftAllReduce(d, h.data(), 16, weftInt32, weftSum, c, stream.handle()) == weftInvalidArgument);
  CHECK_THAT(lastError(c), Catch::Contains("recvbuff is host memory, but a stream was given"));
  CHECK(weftAllReduce(h.data(), d, 16, weftInt32, weftSum, c, stream.handle()) == weftInvalidArgument);
  CHECK_THAT(lastError(c), Catch::Contains("sendbuff is host memory"));
  CHECK(weftAllReduce(h.data(), h.data(), 16, weftInt32, weftSum, c, stream.handle()) == weftInvalidArgument);
  // A NULL stream means host buffers; once streams are in use, device buffers there are refused.
  CHECK(weftAllReduce(d, d, 16, weftInt32, weftSum, c, nullptr) == weftInvalidArgument);
  CHECK_THAT(lastError(c), Catch::Contains("device memory, but the stream is NULL"));
  CHECK(weftBroadcast(h.data(), d, 16, weftInt32, 0, c, nullptr) == weftInvalidArgument);
  // A non-root's unused buffer is not looked at.
  CHECK(asyncError(c) == weftSuccess);

  // The communicator still works, on streams and off.
  fillOnStream(dev, stream, d, 16, 5);
  REQUIRE(weftAllReduce(d, d, 16, weftInt32, weftSum, c, stream.handle()) == weftSuccess);
  CHECK(readOnStream(dev, stream, d, 16) == std::vector<int32_t>(16, 5));
  REQUIRE(weftAllReduce(h.data(), h.data(), 16, weftInt32, weftSum, c, nullptr) == weftSuccess);
  dev.free(d);
}

TEST_CASE("a call on a stream being captured into a CUDA graph is refused, and nothing is queued", "[stream]") {
  FakeDevice dev;
  FakeStream stream;
  auto comms = weft::Comm::initAll(1);
  weftComm_t c = comms[0].get();
  void* d = dev.malloc(64);
  stream.capture(true);
  CHECK(weftAllReduce(d, d, 16, weftInt32, weftSum, c, stream.handle()) == weftInvalidUsage);
  CHECK_THAT(lastError(c), Catch::Contains("captured into a CUDA graph"));
  CHECK(weftAllGather(d, d, 4, weftInt32, c, stream.handle()) == weftInvalidUsage);
  stream.capture(false);
  fillOnStream(dev, stream, d, 16, 3);
  CHECK(weftAllReduce(d, d, 16, weftInt32, weftSum, c, stream.handle()) == weftSuccess);  // the communicator is fine
  CHECK(readOnStream(dev, stream, d, 16) == std::vector<int32_t>(16, 3));
  dev.free(d);
}

TEST_CASE("a request on a stream completes once the results are in the device buffer", "[stream]") {
  FakeDevice dev;
  auto comms = initAllWith(3, {{"WEFT_TIMEOUT", "30"}});  // a rank that fails leaves the rest soon
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    FakeStream stream;
    void* d = dev.malloc(1000 * 4);
    fillOnStream(dev, stream, d, 1000, rank + 1);
    weftRequest_t req = nullptr;
    if (weftAllReduceAsync(d, d, 1000, weftInt32, weftSum, comm.get(), stream.handle(), &req) != weftSuccess) {
      throw std::runtime_error(lastError(comm.get()));
    }
    if (weftWait(&req) != weftSuccess) throw std::runtime_error("weftWait: " + lastError(comm.get()));
    // weftWait returned: the results are in the device buffer, without a wait for the stream.
    const auto* got = reinterpret_cast<const int32_t*>(dev.view(d));
    if (std::vector<int32_t>(got, got + 1000) != std::vector<int32_t>(1000, 6)) throw std::runtime_error("wrong sum after weftWait");
    // weftTest says done only once they are there too.
    fillOnStream(dev, stream, d, 1000, rank + 1);
    if (weftAllReduceAsync(d, d, 1000, weftInt32, weftSum, comm.get(), stream.handle(), &req) != weftSuccess) {
      throw std::runtime_error(lastError(comm.get()));
    }
    int done = 0;
    while (!done) {
      if (weftTest(&req, &done) != weftSuccess) throw std::runtime_error("weftTest: " + lastError(comm.get()));
    }
    if (std::vector<int32_t>(got, got + 1000) != std::vector<int32_t>(1000, 6)) throw std::runtime_error("wrong sum after weftTest");
    if (readOnStream(dev, stream, d, 1000) != std::vector<int32_t>(1000, 6)) throw std::runtime_error("wrong sum");
    dev.free(d);
  });
}

TEST_CASE("a stream that never reaches its call fails it within WEFT_TIMEOUT, and goes on", "[stream]") {
  FakeDevice dev;
  auto comms = initAllWith(2, {{"WEFT_TIMEOUT", "1"}});
  std::vector<weftResult_t> results(2);
  std::vector<std::string> messages(2);
  std::atomic<bool> unblock{false};
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    FakeStream stream;
    void* d = dev.malloc(64 * 4);
    if (rank == 0) {
      // A kernel that runs for longer than the timeout.
      stream.enqueue([&] {
        while (!unblock.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      });
    }
    weftRequest_t req = nullptr;
    if (weftAllReduceAsync(d, d, 64, weftInt32, weftSum, comm.get(), stream.handle(), &req) != weftSuccess) {
      throw std::runtime_error(lastError(comm.get()));
    }
    results[size_t(rank)] = weftWait(&req);
    messages[size_t(rank)] = lastError(comm.get());
    // The failed communicator refuses the next call at once, on a stream as off one.
    if (weftAllReduce(d, d, 64, weftInt32, weftSum, comm.get(), stream.handle()) != weftInvalidUsage) {
      throw std::runtime_error("a call on a failed communicator was not refused");
    }
    if (rank == 0) unblock.store(true);
    stream.synchronize();  // the failed call lets the stream go on: this returns
    dev.free(d);
  });
  CHECK(results[0] == weftTimeout);
  CHECK_THAT(messages[0], Catch::Contains("did not reach the call"));
  CHECK(results[1] != weftSuccess);  // its peer never came: timeout, or rank 0's failure notice
  for (auto& c : comms) CHECK(asyncError(c.get()) != weftSuccess);
}

TEST_CASE("destroying or aborting a communicator lets its streams go on and frees its staging", "[stream]") {
  FakeDevice dev;
  const bool abortFirst = GENERATE(false, true);
  FakeStream stream;
  std::atomic<bool> unblock{false};
  void* d = dev.malloc(256);
  {
    auto comms = weft::Comm::initAll(1);
    // The stream is held, so both calls stay queued behind the first one's wait for it.
    stream.enqueue([&] {
      while (!unblock.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    });
    REQUIRE(weftAllReduce(d, d, 64, weftInt32, weftSum, comms[0].get(), stream.handle()) == weftSuccess);
    REQUIRE(weftBroadcast(d, d, 64, weftInt32, 0, comms[0].get(), stream.handle()) == weftSuccess);
    std::thread later([&] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      unblock.store(true);
    });
    if (abortFirst) {
      comms[0].abort();  // weftCommAbort: the queued calls fail at once
    } else {
      comms.clear();  // weftCommDestroy: waits for the calls, which wait for the stream
    }
    later.join();
  }
  stream.synchronize();  // returns: nothing on the stream waits for the communicator any more
  CHECK(dev.pinnedLive() == 0);
  dev.free(d);
}

TEST_CASE("a group with host and stream calls ends with its host calls done", "[stream]") {
  FakeDevice dev;
  FakeStream stream;
  auto comms = weft::Comm::initAll(1);
  weftComm_t c = comms[0].get();
  void* d = dev.malloc(4096);
  std::vector<int32_t> in(1024, 7), out(1024, 0);
  fillOnStream(dev, stream, d, 1024, 3);
  REQUIRE(weftGroupStart() == weftSuccess);
  REQUIRE(weftAllReduce(in.data(), out.data(), 1024, weftInt32, weftSum, c, nullptr) == weftSuccess);
  REQUIRE(weftAllReduce(d, d, 1024, weftInt32, weftSum, c, stream.handle()) == weftSuccess);
  REQUIRE(weftGroupEnd() == weftSuccess);
  CHECK(out == in);  // run by weftGroupEnd, not handed to the progress thread
  CHECK(readOnStream(dev, stream, d, 1024) == std::vector<int32_t>(1024, 3));
  dev.free(d);
}

TEST_CASE("a request on a call run as pieces completes with its last piece", "[stream]") {
  FakeDevice dev;
  const size_t count = (size_t(5) << 20) + 3;  // int32: three 8 MiB pieces (Note [Stream pieces])
  auto comms = initAllWith(2, {{"WEFT_TIMEOUT", "60"}});
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    FakeStream stream;
    void* d = dev.malloc(count * 4);
    fillOnStream(dev, stream, d, count, rank + 1);
    weftRequest_t req = nullptr;
    if (weftAllReduceAsync(d, d, count, weftInt32, weftSum, comm.get(), stream.handle(), &req) != weftSuccess) {
      throw std::runtime_error(lastError(comm.get()));
    }
    if (weftWait(&req) != weftSuccess) throw std::runtime_error("weftWait: " + lastError(comm.get()));
    const auto* got = reinterpret_cast<const int32_t*>(dev.view(d));
    if (std::count(got, got + count, 3) != std::ptrdiff_t(count)) throw std::runtime_error("wrong sum after weftWait");
    dev.free(d);
  });
}
