// SPDX-License-Identifier: Apache-2.0
// Nonblocking calls (weft*Async, weftWait/weftTest, weft::Work) and groups (weftGroupStart/End).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/support/ranks.h"

namespace {

void collect(std::vector<std::string>& errors) {
  for (auto& e : errors) REQUIRE(e == "");
}

}  // namespace

TEST_CASE("64 all-reduces in flight on one communicator complete in order", "[async]") {
  const int n = GENERATE(1, 2, 3, 5);
  auto comms = weft::Comm::initAll(n);
  std::vector<std::string> errors(static_cast<size_t>(n));
  weft::test::onEachRank(comms, [&](weft::Comm& c, int rank) {
    constexpr int kOps = 64;
    // Every op reads the previous op's output: only in-order completion gives the closed form.
    std::vector<int64_t> v(1000, rank + 1);
    std::vector<weft::Work> works;
    for (int i = 0; i < kOps; ++i) works.push_back(c.allReduceAsync(v.data(), v.data(), v.size(), weftInt64, weftMax));
    int64_t sum = rank;  // a blocking call after them runs after them
    c.allReduce(&sum, &sum, 1, weftInt64, weftSum);
    for (auto& w : works) w.wait();
    if (sum != int64_t(n) * (n - 1) / 2) errors[size_t(rank)] = "blocking call after async ones";
    for (int64_t x : v) {
      if (x != n) errors[size_t(rank)] = "max over ranks wrong: " + std::to_string(x);
    }
    // Chained sums: after k in-place sums every element is n^k.
    std::vector<double> s(7, 1.0);
    for (int i = 0; i < 5; ++i) works.push_back(c.allReduceAsync(s.data(), s.data(), s.size(), weftFloat64, weftSum));
    for (auto& w : works) w.wait();
    for (double x : s) {
      if (x != double(n) * n * n * n * n) errors[size_t(rank)] = "chained sums out of order";
    }
  });
  collect(errors);
}

TEST_CASE("two communicators interleave nonblocking work", "[async]") {
  auto a = weft::Comm::initAll(3);
  auto b = weft::Comm::initAll(3);
  std::vector<weft::Comm*> pairs;
  std::vector<std::string> errors(3);
  weft::test::onEachRank(a, [&](weft::Comm& ca, int rank) {
    weft::Comm& cb = b[size_t(rank)];
    std::vector<float> x(4099, float(rank)), y(4099, float(2 * rank));
    std::vector<weft::Work> works;
    for (int i = 0; i < 8; ++i) {
      works.push_back(ca.allReduceAsync(x.data(), x.data(), x.size(), weftFloat32, weftMax));
      works.push_back(cb.allReduceAsync(y.data(), y.data(), y.size(), weftFloat32, weftMin));
    }
    for (auto& w : works) w.wait();
    if (x[4098] != 2.0f || y[0] != 0.0f) errors[size_t(rank)] = "wrong results";
  });
  collect(errors);
}

TEST_CASE("a group completes a ring of large sends and receives that would deadlock one by one", "[group]") {
  const int n = GENERATE(2, 3, 4);
  auto comms = weft::Comm::initAll(n);
  std::vector<std::string> errors(static_cast<size_t>(n));
  weft::test::onEachRank(comms, [&](weft::Comm& c, int rank) {
    const size_t count = size_t(4) << 20;  // 32 MiB of doubles: far more than a link buffers
    std::vector<double> out(count, double(rank)), in(count, -1.0);
    weft::Group g;
    c.send(out.data(), count, weftFloat64, (rank + 1) % n);
    c.recv(in.data(), count, weftFloat64, (rank + n - 1) % n);
    g.end();
    if (in[0] != double((rank + n - 1) % n) || in[count - 1] != in[0]) errors[size_t(rank)] = "wrong data";
  });
  collect(errors);
}

TEST_CASE("one thread drives every rank of weftCommInitAll in a group", "[group]") {
  const int n = 4;
  std::vector<weftComm_t> comms(n);
  REQUIRE(weftCommInitAll(comms.data(), n, nullptr) == weftSuccess);
  std::vector<std::vector<int32_t>> bufs(n, std::vector<int32_t>(1001));
  for (int r = 0; r < n; ++r) bufs[size_t(r)].assign(1001, r + 1);
  std::vector<weftRequest_t> reqs(n);
  REQUIRE(weftGroupStart() == weftSuccess);
  for (int r = 0; r < n; ++r) {
    REQUIRE(weftAllReduce(bufs[size_t(r)].data(), bufs[size_t(r)].data(), 1001, weftInt32, weftSum, comms[size_t(r)],
                          nullptr) == weftSuccess);
    REQUIRE(weftBarrierAsync(comms[size_t(r)], nullptr, &reqs[size_t(r)]) == weftSuccess);
  }
  REQUIRE(weftGroupEnd() == weftSuccess);
  for (int r = 0; r < n; ++r) {
    int done = 0;
    REQUIRE(weftTest(&reqs[size_t(r)], &done) == weftSuccess);
    CHECK(done == 1);
    CHECK(reqs[size_t(r)] == nullptr);
    CHECK(bufs[size_t(r)][1000] == 10);
  }
  for (auto c : comms) weftCommDestroy(c);
}

TEST_CASE("requests and groups refuse misuse", "[async]") {
  CHECK(weftWait(nullptr) == weftInvalidArgument);
  weftRequest_t none = nullptr;
  CHECK(weftWait(&none) == weftInvalidArgument);
  CHECK(weftGroupEnd() == weftInvalidUsage);
  auto comms = weft::Comm::initAll(1);
  float x = 1;
  CHECK(weftAllReduceAsync(&x, &x, 1, weftFloat32, weftSum, comms[0].get(), nullptr, nullptr) == weftInvalidArgument);
  weftRequest_t req = nullptr;
  REQUIRE(weftAllReduceAsync(&x, &x, 1, weftFloat32, weftSum, comms[0].get(), nullptr, &req) == weftSuccess);
  int done = 0;
  while (!done) REQUIRE(weftTest(&req, &done) == weftSuccess);
  CHECK(req == nullptr);
}

TEST_CASE("an async call whose peer never comes ends in a timeout, reported by weftWait", "[async]") {
  auto comms = weft::test::initAllWith(2, {{"WEFT_TIMEOUT", "0.3"}});
  float x = 1;
  weftRequest_t req = nullptr;
  REQUIRE(weftAllReduceAsync(&x, &x, 1, weftFloat32, weftSum, comms[0].get(), nullptr, &req) == weftSuccess);
  CHECK(weftWait(&req) == weftTimeout);
  CHECK(std::string(weftGetLastError(nullptr)).find("allreduce #1") != std::string::npos);
  CHECK(weftAllReduce(&x, &x, 1, weftFloat32, weftSum, comms[0].get(), nullptr) == weftInvalidUsage);
}
