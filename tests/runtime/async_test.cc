// SPDX-License-Identifier: Apache-2.0
// Nonblocking calls (weft*Async, weftWait/weftTest, weft::Work) and groups (weftGroupStart/End).
#include <catch2/catch.hpp>

#include <cstdlib>
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

TEST_CASE("in a group, a call reads what an earlier call of the group wrote", "[group]") {
  // Note [Groups]: calls on one communicator run in order, so a chain of calls whose inputs are
  // the outputs before them must see those outputs, also for algorithms that copy their own
  // data first (halving-doubling, recursive doubling, pairwise all-to-all, linear and tree
  // scatter/gather) and copies made when the group starts would miss.
  const int n = 4;
  const std::string algo = GENERATE("allreduce:halving_doubling;scatter:linear;gather:linear",
                                    "allreduce:recursive_doubling;scatter:tree;gather:tree");
  INFO(algo);
  std::vector<weftComm_t> comms(n);
  setenv("WEFT_ALGO", algo.c_str(), 1);
  REQUIRE(weftCommInitAll(comms.data(), n, nullptr) == weftSuccess);
  unsetenv("WEFT_ALGO");
  const size_t count = 37;
  struct Bufs {
    std::vector<int32_t> a, b, c, d, e, f;
  };
  std::vector<Bufs> bufs(n);
  for (int r = 0; r < n; ++r) {
    Bufs& x = bufs[size_t(r)];
    x.a.assign(count * n, r + 1);
    x.b.assign(count * n, -1);
    x.c.assign(count * n, -1);
    x.d.assign(count * n, -1);
    x.e.assign(count, -1);
    x.f.assign(count * n, -1);
  }
  REQUIRE(weftGroupStart() == weftSuccess);
  for (int r = 0; r < n; ++r) {
    Bufs& x = bufs[size_t(r)];
    weftComm_t c = comms[size_t(r)];
    REQUIRE(weftAllReduce(x.a.data(), x.b.data(), count * n, weftInt32, weftSum, c, nullptr) == weftSuccess);   // b = 10
    REQUIRE(weftAllReduce(x.b.data(), x.c.data(), count * n, weftInt32, weftSum, c, nullptr) == weftSuccess);   // c = 40
    REQUIRE(weftAllToAll(x.c.data(), x.d.data(), count, weftInt32, c, nullptr) == weftSuccess);                  // d = 40
    REQUIRE(weftScatter(x.d.data(), x.e.data(), count, weftInt32, 0, c, nullptr) == weftSuccess);               // e = 40
    REQUIRE(weftGather(x.e.data(), x.f.data(), count, weftInt32, 0, c, nullptr) == weftSuccess);                // f = 40 on 0
  }
  REQUIRE(weftGroupEnd() == weftSuccess);
  for (int r = 0; r < n; ++r) {
    INFO("rank " << r);
    const Bufs& x = bufs[size_t(r)];
    CHECK(x.b == std::vector<int32_t>(count * n, 10));
    CHECK(x.c == std::vector<int32_t>(count * n, 40));
    CHECK(x.d == std::vector<int32_t>(count * n, 40));
    CHECK(x.e == std::vector<int32_t>(count, 40));
    if (r == 0) CHECK(x.f == std::vector<int32_t>(count * n, 40));
  }
  for (auto c : comms) weftCommDestroy(c);
}
