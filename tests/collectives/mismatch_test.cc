// SPDX-License-Identifier: Apache-2.0
// Mismatched calls (Note [Signatures]): a rank that receives a message of another call fails with
// weftInvalidUsage naming both calls, instead of reducing the wrong bytes or hanging.
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "tests/support/ranks.h"

namespace {

struct Outcome {
  weftResult_t result = weftSuccess;
  std::string message;
};

// Runs `call` on every rank of a fresh n-rank communicator (2 s timeout) and returns what each
// rank's call returned, with its error message.
std::vector<Outcome> onRanks(int n, const std::function<weftResult_t(weftComm_t, int)>& call,
                             const weft::test::EnvSettings& extra = {}) {
  weft::test::EnvSettings env{{"WEFT_TIMEOUT", "2"}};
  env.insert(env.end(), extra.begin(), extra.end());
  auto comms = weft::test::initAllWith(n, env);
  std::vector<Outcome> out(static_cast<size_t>(n));
  weft::test::onEachRank(comms, [&](weft::Comm& c, int rank) {
    Outcome& o = out[size_t(rank)];
    o.result = call(c.get(), rank);
    if (o.result != weftSuccess) o.message = weftGetLastError(nullptr);
  });
  return out;
}

bool mentions(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

weftResult_t allReduce(weftComm_t c, size_t count, weftDataType_t dt, weftRedOp_t op) {
  std::vector<uint64_t> buf(count + 1, 0);  // 8 bytes per element is enough for every type used
  return weftAllReduce(buf.data(), buf.data(), count, dt, op, c, nullptr);
}

}  // namespace

TEST_CASE("mismatch: a different count fails both ranks' calls, naming both", "[mismatch]") {
  const auto o = onRanks(2, [](weftComm_t c, int rank) {
    return allReduce(c, rank == 0 ? 100 : 101, weftFloat64, weftSum);
  });
  for (int r = 0; r < 2; ++r) {
    INFO("rank " << r << ": " << o[size_t(r)].message);
    REQUIRE(o[size_t(r)].result == weftInvalidUsage);
  }
  CHECK(mentions(o[0].message, "rank 1 called allreduce(count=101, double, sum) as its collective #1"));
  CHECK(mentions(o[0].message, "rank 0 called allreduce(count=100, double, sum)"));
  CHECK(mentions(o[1].message, "rank 0 called allreduce(count=100, double, sum) as its collective #1"));
}

TEST_CASE("mismatch: same bytes, different datatype or op, is caught (no silent corruption)", "[mismatch]") {
  SECTION("float against int32") {
    const auto o = onRanks(2, [](weftComm_t c, int rank) {
      return allReduce(c, 64, rank == 0 ? weftFloat32 : weftInt32, weftSum);
    });
    REQUIRE(o[0].result == weftInvalidUsage);
    REQUIRE(o[1].result == weftInvalidUsage);
    CHECK(mentions(o[0].message, "rank 1 called allreduce(count=64, int32, sum)"));
  }
  SECTION("sum against max") {
    const auto o = onRanks(2, [](weftComm_t c, int rank) {
      return allReduce(c, 64, weftFloat32, rank == 0 ? weftSum : weftMax);
    });
    REQUIRE(o[0].result == weftInvalidUsage);
    REQUIRE(o[1].result == weftInvalidUsage);
    CHECK(mentions(o[1].message, "rank 0 called allreduce(count=64, float, sum)"));
    CHECK(mentions(o[1].message, "rank 1 called allreduce(count=64, float, max)"));
  }
}

TEST_CASE("mismatch: a reduce to different roots, and different collectives", "[mismatch]") {
  SECTION("reduce roots: each rank waits for the other, so no message comes to compare") {
    const auto o = onRanks(2, [](weftComm_t c, int rank) {
      std::vector<float> in(16, 1.0f), out(16);
      return weftReduce(in.data(), out.data(), in.size(), weftFloat32, weftSum, rank, c, nullptr);
    }, {{"WEFT_TIMEOUT", "0.5"}});
    REQUIRE(o[0].result == weftTimeout);
    REQUIRE(o[1].result == weftTimeout);
    // Its own timeout, or rank 1's, told by rank 1's failure notice (whichever came first).
    CHECK((mentions(o[0].message, "reduce #1 (count=16, float, sum, root=0)") ||
           mentions(o[0].message, "in reduce(count=16, float, sum, root=0) as its collective #1")));
    CHECK((mentions(o[1].message, "waiting for a chunk from rank 0") ||
           mentions(o[1].message, "rank 0 gave up on this communicator while rank 1 was in reduce")));
  }
  SECTION("reduce roots at 3 ranks: the chain delivers a message of the other call") {
    const auto o = onRanks(3, [](weftComm_t c, int rank) {
      std::vector<float> in(16, 1.0f), out(16);
      return weftReduce(in.data(), out.data(), in.size(), weftFloat32, weftSum, rank == 2 ? 1 : 0, c, nullptr);
    });
    // Ranks that only send may finish (their messages then fail the next call that meets them);
    // a rank that receives from the other call names both.
    int named = 0;
    for (const Outcome& x : o) {
      named += x.result == weftInvalidUsage && mentions(x.message, "reduce(count=16, float, sum, root=1)") &&
               mentions(x.message, "reduce(count=16, float, sum, root=0)");
    }
    CHECK(named >= 1);
  }
  SECTION("all-reduce against all-gather") {
    const auto o = onRanks(2, [](weftComm_t c, int rank) {
      std::vector<float> buf(32, 1.0f);
      if (rank == 0) return weftAllReduce(buf.data(), buf.data(), 16, weftFloat32, weftSum, c, nullptr);
      return weftAllGather(buf.data(), buf.data() + 16, 8, weftFloat32, c, nullptr);
    });
    REQUIRE(o[0].result == weftInvalidUsage);
    CHECK(mentions(o[0].message, "rank 1 called allgather(count=8, float) as its collective #1"));
  }
}

TEST_CASE("mismatch: one odd rank among 3 and 5 is named, and no rank succeeds", "[mismatch]") {
  const int n = GENERATE(3, 5);
  const int odd = n - 2;
  const auto o = onRanks(n, [&](weftComm_t c, int rank) {
    return allReduce(c, rank == odd ? 1000 : 1024, weftFloat32, weftSum);
  });
  int named = 0;
  for (int r = 0; r < n; ++r) {
    INFO("rank " << r << " of " << n << ": " << o[size_t(r)].message);
    // The ranks that receive from the odd rank (or the odd rank from them) see the mismatch;
    // the others wait for peers that stopped, and time out.
    CHECK((o[size_t(r)].result == weftInvalidUsage || o[size_t(r)].result == weftTimeout));
    if (o[size_t(r)].result == weftInvalidUsage) {
      ++named;
      const std::string oddText = "rank " + std::to_string(odd) + " called allreduce(count=1000, float, sum)";
      const std::string odd2 = "rank " + std::to_string(odd) + " called allreduce(count=1000";
      CHECK((r == odd || mentions(o[size_t(r)].message, oddText)));
      CHECK(mentions(o[size_t(r)].message, odd2));
    }
  }
  CHECK(named >= 1);
}

TEST_CASE("mismatch: a send and a receive of different counts; a collective against a receive", "[mismatch]") {
  SECTION("counts") {
    const auto o = onRanks(2, [](weftComm_t c, int rank) {
      std::vector<int32_t> buf(12, 7);
      if (rank == 0) return weftSend(buf.data(), 10, weftInt32, 1, c, nullptr);
      return weftRecv(buf.data(), 12, weftInt32, 0, c, nullptr);
    });
    REQUIRE(o[1].result == weftInvalidUsage);
    CHECK(mentions(o[1].message, "rank 0 called send(count=10, int32, to rank 1) as its send #1 to that rank"));
    CHECK(mentions(o[1].message, "rank 1 called recv(count=12, int32, from rank 0) as its receive #1 from that rank"));
  }
  SECTION("a receive meets an all-reduce") {
    const auto o = onRanks(2, [](weftComm_t c, int rank) {
      std::vector<float> buf(8, 1.0f);
      if (rank == 0) return weftAllReduce(buf.data(), buf.data(), 8, weftFloat32, weftSum, c, nullptr);
      return weftRecv(buf.data(), 8, weftFloat32, 0, c, nullptr);
    });
    REQUIRE(o[1].result == weftInvalidUsage);
    CHECK(mentions(o[1].message, "rank 0 called allreduce(count=8, float, sum) as its collective #1"));
    CHECK(o[0].result != weftSuccess);  // it waits for rank 1's half, which never comes
  }
}

TEST_CASE("mismatch: a call behind, where one rank's empty call met another's non-empty one", "[mismatch]") {
  const auto o = onRanks(2, [](weftComm_t c, int rank) {
    if (rank == 0) {
      const weftResult_t r = allReduce(c, 0, weftFloat32, weftSum);  // returns at once, as NCCL's
      if (r != weftSuccess) return r;
    } else {
      const weftResult_t r = allReduce(c, 5, weftFloat32, weftSum);
      if (r != weftSuccess) return r;
    }
    return allReduce(c, 5, weftFloat32, weftSum);
  });
  REQUIRE(o[1].result == weftInvalidUsage);
  CHECK(mentions(o[1].message, "rank 0 called allreduce(count=5, float, sum) as its collective #2"));
  CHECK(mentions(o[1].message, "earlier or later call"));
  CHECK(o[0].result != weftSuccess);
}

TEST_CASE("mismatch: broadcasts that both send are caught by the next call", "[mismatch]") {
  const auto o = onRanks(2, [](weftComm_t c, int rank) {
    std::vector<float> buf(4, float(rank));
    // Both ranks think they are the root: both only send, and neither can tell yet.
    const weftResult_t r = weftBroadcast(buf.data(), buf.data(), buf.size(), weftFloat32, rank, c, nullptr);
    if (r != weftSuccess) return r;
    return weftAllReduce(buf.data(), buf.data(), buf.size(), weftFloat32, weftSum, c, nullptr);
  });
  for (int r = 0; r < 2; ++r) {
    INFO("rank " << r << ": " << o[size_t(r)].message);
    REQUIRE(o[size_t(r)].result == weftInvalidUsage);
    CHECK(mentions(o[size_t(r)].message, "called broadcast(count=4, float, root=" + std::to_string(1 - r) +
                                              ") as its collective #1"));
  }
}

TEST_CASE("mismatch: WEFT_CHECK=0 leaves the comparison out", "[mismatch]") {
  // The same bytes as float and as int32: only the signature tells them apart, so without the
  // check both calls complete (with meaningless sums, which is what the check is for).
  const auto o = onRanks(2, [](weftComm_t c, int rank) {
    return allReduce(c, 64, rank == 0 ? weftFloat32 : weftInt32, weftSum);
  }, {{"WEFT_CHECK", "0"}});
  CHECK(o[0].result == weftSuccess);
  CHECK(o[1].result == weftSuccess);
}

TEST_CASE("mismatch: matching calls in every order still pass, sends and receives in groups", "[mismatch]") {
  const auto o = onRanks(3, [](weftComm_t c, int rank) {
    std::vector<int32_t> a(6, rank), b(6, -1);
    // Rank 0 sends 2 then 4 elements to each peer; the peers receive in the same order, in a
    // group with a collective before it.
    weftGroupStart();
    weftAllReduce(a.data(), b.data(), 6, weftInt32, weftSum, c, nullptr);
    if (rank == 0) {
      for (int p = 1; p < 3; ++p) {
        weftSend(a.data(), 2, weftInt32, p, c, nullptr);
        weftSend(a.data(), 4, weftInt32, p, c, nullptr);
      }
    } else {
      weftRecv(b.data(), 2, weftInt32, 0, c, nullptr);
      weftRecv(b.data() + 2, 4, weftInt32, 0, c, nullptr);
    }
    return weftGroupEnd();
  });
  for (int r = 0; r < 3; ++r) {
    INFO("rank " << r << ": " << o[size_t(r)].message);
    CHECK(o[size_t(r)].result == weftSuccess);
  }
}
