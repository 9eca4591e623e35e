// SPDX-License-Identifier: Apache-2.0
// weftCommAbort from another thread (a blocking call, queued nonblocking calls, a group),
// weftCommGetAsyncError and the flight recorder's dump. Thread ranks: rank 1 never joins the calls
// rank 0 makes, so rank 0's calls wait until the abort (WEFT_TIMEOUT is far longer than any wait
// here) or their timeout.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "runtime/weft.h"

namespace {

using Clock = std::chrono::steady_clock;

// Two thread-rank communicators with the given WEFT_TIMEOUT (seconds) and, if given,
// WEFT_FLIGHT_RECORDER and a WEFT_DEBUG_FILE.
std::vector<weftComm_t> twoRanks(const char* timeout, const char* recorder = nullptr, const char* logFile = nullptr) {
  setenv("WEFT_TIMEOUT", timeout, 1);
  if (recorder) setenv("WEFT_FLIGHT_RECORDER", recorder, 1);
  if (logFile) setenv("WEFT_DEBUG_FILE", logFile, 1);
  std::vector<weftComm_t> comms(2, nullptr);
  const weftResult_t r = weftCommInitAll(comms.data(), 2, nullptr);
  unsetenv("WEFT_TIMEOUT");
  unsetenv("WEFT_FLIGHT_RECORDER");
  unsetenv("WEFT_DEBUG_FILE");
  REQUIRE(r == weftSuccess);
  return comms;
}

struct Outcome {
  weftResult_t result = weftSuccess;
  std::string error;       // weftGetLastError on the calling thread
  Clock::time_point done;  // when the call returned
};

// Runs `call` on a thread, aborts comm after it had time to start waiting, and returns how the
// call ended and how long after the abort began it returned.
template <class Call>
std::pair<Outcome, double> abortDuring(weftComm_t comm, Call&& call) {
  Outcome out;
  std::atomic<bool> calling{false};
  std::thread t([&] {
    calling = true;
    out.result = call();
    out.error = weftGetLastError(nullptr);
    out.done = Clock::now();
  });
  // The call must have begun before the abort (one that starts while the abort frees the
  // communicator is the caller's use after free): wait for the thread, then give it ample time.
  while (!calling) std::this_thread::yield();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  const auto start = Clock::now();
  const weftResult_t aborted = weftCommAbort(comm);
  t.join();
  CHECK(aborted == weftSuccess);
  return {out, std::chrono::duration<double>(out.done - start).count()};
}

}  // namespace

TEST_CASE("weftCommAbort ends a call waiting for a peer and frees the communicator", "[abort]") {
  auto comms = twoRanks("60");
  std::vector<float> x(1000, 1.0f);
  auto [out, seconds] = abortDuring(comms[0], [&] {
    return weftAllReduce(x.data(), x.data(), x.size(), weftFloat32, weftSum, comms[0], nullptr);
  });
  CHECK(out.result == weftInvalidUsage);
  CHECK(out.error.find("allreduce #1") != std::string::npos);
  CHECK(out.error.find("aborted (weftCommAbort)") != std::string::npos);
  // Within one nap of the waiting call (about 10 ms); 2 s leaves room for a loaded machine and
  // is still far from the 60 s timeout.
  INFO("returned " << seconds << " s after the abort began");
  CHECK(seconds < 2.0);
  int n = 0;
  CHECK(weftCommCount(comms[0], &n) == weftInvalidArgument);  // freed
  CHECK(weftCommDestroy(comms[1]) == weftSuccess);
}

TEST_CASE("weftCommAbort ends queued nonblocking calls with its error", "[abort]") {
  auto comms = twoRanks("60");
  std::vector<std::vector<int>> bufs(3, std::vector<int>(100, 1));
  std::vector<weftRequest_t> reqs(3, nullptr);
  for (size_t i = 0; i < reqs.size(); ++i) {
    REQUIRE(weftAllReduceAsync(bufs[i].data(), bufs[i].data(), 100, weftInt32, weftSum, comms[0], nullptr,
                               &reqs[i]) == weftSuccess);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the first waits for rank 1
  REQUIRE(weftCommAbort(comms[0]) == weftSuccess);
  for (size_t i = 0; i < reqs.size(); ++i) {
    INFO("request " << i);
    CHECK(weftWait(&reqs[i]) == weftInvalidUsage);
    CHECK(std::string(weftGetLastError(nullptr)).find("aborted (weftCommAbort)") != std::string::npos);
    CHECK(reqs[i] == nullptr);
  }
  CHECK(weftCommDestroy(comms[1]) == weftSuccess);
}

TEST_CASE("weftCommAbort ends a group waiting for a peer", "[abort]") {
  auto comms = twoRanks("60");
  std::vector<double> big(size_t(1) << 22, 2.0);  // 32 MiB: far more than the link holds
  auto [out, seconds] = abortDuring(comms[0], [&] {
    weftGroupStart();
    weftSend(big.data(), big.size(), weftFloat64, 1, comms[0], nullptr);
    return weftGroupEnd();
  });
  CHECK(out.result == weftInvalidUsage);
  CHECK(out.error.find("aborted (weftCommAbort)") != std::string::npos);
  INFO("returned " << seconds << " s after the abort began");
  CHECK(seconds < 2.0);
  CHECK(weftCommDestroy(comms[1]) == weftSuccess);
}

TEST_CASE("weftCommAbort waits for a group recorded on the communicator, which then fails", "[abort]") {
  // The group's calls were recorded before the abort: the abort must not free the communicator
  // under them, but wait until weftGroupEnd has given up on them.
  auto comms = twoRanks("60");
  std::vector<double> big(size_t(1) << 20, 1.0);
  std::atomic<int> stage{0};
  weftResult_t ended = weftSuccess, aborted = weftInternalError;
  std::string error;
  std::thread caller([&] {
    weftGroupStart();
    weftSend(big.data(), big.size(), weftFloat64, 1, comms[0], nullptr);
    stage = 1;
    while (stage != 2) std::this_thread::yield();
    ended = weftGroupEnd();
    error = weftGetLastError(nullptr);
  });
  while (stage != 1) std::this_thread::yield();
  std::thread aborter([&] { aborted = weftCommAbort(comms[0]); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // the abort now waits for the group
  stage = 2;
  caller.join();
  aborter.join();
  CHECK(aborted == weftSuccess);
  CHECK(ended == weftInvalidUsage);
  CHECK(error.find("aborted (weftCommAbort)") != std::string::npos);
  CHECK(weftCommDestroy(comms[1]) == weftSuccess);
}

TEST_CASE("weftCommAbort of an idle communicator, and of NULL", "[abort]") {
  auto comms = twoRanks("60");
  CHECK(weftCommAbort(nullptr) == weftSuccess);
  CHECK(weftCommAbort(comms[1]) == weftSuccess);
  CHECK(weftCommAbort(comms[1]) == weftInvalidArgument);  // already freed
  CHECK(weftCommDestroy(comms[0]) == weftSuccess);
}

TEST_CASE("weftCommGetAsyncError reports the error that failed the communicator", "[abort]") {
  auto comms = twoRanks("2");  // long enough for the calls that succeed on a loaded machine
  weftResult_t state = weftInternalError;
  REQUIRE(weftCommGetAsyncError(comms[0], &state) == weftSuccess);
  CHECK(state == weftSuccess);
  CHECK(weftCommGetAsyncError(comms[0], nullptr) == weftInvalidArgument);
  CHECK(weftCommGetAsyncError(nullptr, &state) == weftInvalidArgument);

  // Both ranks: a call that works leaves it healthy.
  std::vector<int> v0(10, 1), v1(10, 2);
  std::thread peer([&] { weftAllReduce(v1.data(), v1.data(), 10, weftInt32, weftSum, comms[1], nullptr); });
  REQUIRE(weftAllReduce(v0.data(), v0.data(), 10, weftInt32, weftSum, comms[0], nullptr) == weftSuccess);
  peer.join();
  CHECK(v0[0] == 3);
  REQUIRE(weftCommGetAsyncError(comms[0], &state) == weftSuccess);
  CHECK(state == weftSuccess);

  // Rank 0 alone: the call times out, and the communicator says so from then on.
  CHECK(weftAllReduce(v0.data(), v0.data(), 10, weftInt32, weftSum, comms[0], nullptr) == weftTimeout);
  REQUIRE(weftCommGetAsyncError(comms[0], &state) == weftSuccess);
  CHECK(state == weftTimeout);
  CHECK(weftBarrier(comms[0], nullptr) == weftInvalidUsage);
  REQUIRE(weftCommGetAsyncError(comms[0], &state) == weftSuccess);
  CHECK(state == weftTimeout);  // the first failure, not the refusal after it
  REQUIRE(weftCommGetAsyncError(comms[1], &state) == weftSuccess);
  CHECK(state == weftSuccess);  // rank 1 was never in the failed call
  CHECK(weftCommDestroy(comms[0]) == weftSuccess);
  CHECK(weftCommDestroy(comms[1]) == weftSuccess);
}

namespace {

// Rank 0 and 1 make `good` all-reduces together, then rank 0 one alone, which times out; returns
// the log (WEFT_DEBUG_FILE) of the whole run.
std::string logOfFailedRun(const char* recorder, int good) {
  namespace fs = std::filesystem;
  const fs::path log = fs::temp_directory_path() / ("weft-flight-" + std::to_string(getpid()) + ".txt");
  fs::remove(log);
  {
    auto comms = twoRanks("1.5", recorder, log.c_str());
    std::vector<int> v0(10, 1), v1(10, 2);
    std::thread peer([&] {
      for (int i = 0; i < good; ++i) weftAllReduce(v1.data(), v1.data(), 10, weftInt32, weftSum, comms[1], nullptr);
    });
    for (int i = 0; i < good; ++i) {
      REQUIRE(weftAllReduce(v0.data(), v0.data(), 10, weftInt32, weftSum, comms[0], nullptr) == weftSuccess);
    }
    peer.join();
    CHECK(weftBroadcast(v0.data(), v0.data(), 7, weftInt32, 1, comms[0], nullptr) == weftTimeout);
    weftCommDestroy(comms[0]);
    weftCommDestroy(comms[1]);
  }
  { weftComm_t quiet = nullptr; weftCommInitAll(&quiet, 1, nullptr); weftCommDestroy(quiet); }  // log back to stderr
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  fs::remove(log);
  return text.str();
}

}  // namespace

TEST_CASE("a failed call logs the communicator's last calls", "[flight]") {
  SECTION("all of them, oldest first, when they fit") {
    const std::string log = logOfFailedRun("16", 2);
    INFO(log);
    const size_t head = log.find("rank 0: the last 3 calls on this communicator, oldest first (WEFT_FLIGHT_RECORDER=16):");
    REQUIRE(head != std::string::npos);
    const size_t first = log.find("  allreduce #1 (count=10, int32, sum) by ", head);
    const size_t second = log.find("  allreduce #2 (count=10, int32, sum) by ", head);
    const size_t failed = log.find("  broadcast #3 (count=7, int32, root=1) by ", head);
    REQUIRE(first != std::string::npos);
    REQUIRE(second != std::string::npos);
    REQUIRE(failed != std::string::npos);
    CHECK(first < second);
    CHECK(second < failed);
    CHECK(log.find(": done, started ", first) < second);
    CHECK(log.find(": failed after ", failed) != std::string::npos);
    CHECK(log.find("rank 1: the last") == std::string::npos);  // rank 1 did not fail
  }
  SECTION("the newest ones when they do not") {
    const std::string log = logOfFailedRun("2", 4);
    INFO(log);
    CHECK(log.find("rank 0: the last 2 calls on this communicator, oldest first (WEFT_FLIGHT_RECORDER=2):") != std::string::npos);
    CHECK(log.find("allreduce #3 ") == std::string::npos);
    CHECK(log.find("  allreduce #4 (count=10, int32, sum) by ") != std::string::npos);
    CHECK(log.find("  broadcast #5 (count=7, int32, root=1) by ") != std::string::npos);
  }
  SECTION("none with WEFT_FLIGHT_RECORDER=0") {
    const std::string log = logOfFailedRun("0", 1);
    INFO(log);
    CHECK(log.find("timed out") != std::string::npos);
    CHECK(log.find("calls on this communicator") == std::string::npos);
  }
}
