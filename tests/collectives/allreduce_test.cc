// SPDX-License-Identifier: Apache-2.0
// All-reduce on thread ranks: every datatype, op, rank count and awkward count, in place and not,
// against exact expected values.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/support/ranks.h"
#include "tests/support/sweep.h"
#include "tests/support/values.h"

using weft::test::expected;
using weft::test::input;
using weft::test::sweep;

namespace {

// Runs one all-reduce on every rank of `comms`; returns the first mismatch ("" when none).
std::string checkAllReduce(std::vector<weft::Comm>& comms, weftDataType_t t, weftRedOp_t op,
                           size_t count, bool inPlace) {
  const int n = int(comms.size());
  const size_t elem = weft::test::elementSize(t);
  // The result every rank must hold, built once: ranks compare bytes and look at elements only
  // to name the first wrong one.
  std::vector<unsigned char> want(count * elem);
  for (size_t i = 0; i < count; ++i) weft::test::store(t, want.data(), i, expected(op, t, n, i));
  std::vector<std::string> errors(static_cast<size_t>(n));
  weft::test::onEachRank(comms, [&](weft::Comm& c, int rank) {
    std::vector<unsigned char> send(count * elem + 1), recv(count * elem + 1, 0xA5);
    for (size_t i = 0; i < count; ++i) weft::test::store(t, send.data(), i, input(op, t, rank, i));
    send[count * elem] = 0x5A;  // guard byte past the end
    void* out = inPlace ? send.data() : recv.data();
    c.allReduce(send.data(), out, count, t, op);
    const auto* res = static_cast<const unsigned char*>(out);
    const bool same = count == 0 || std::memcmp(res, want.data(), count * elem) == 0;
    for (size_t i = 0; !same && i < count; ++i) {
      const double got = weft::test::load(t, res, i), w = weft::test::load(t, want.data(), i);
      if (got != w) {
        errors[size_t(rank)] = "rank " + std::to_string(rank) + " element " + std::to_string(i) +
                               ": got " + std::to_string(got) + ", want " + std::to_string(w);
        return;
      }
    }
    if (res[count * elem] != (inPlace ? 0x5A : 0xA5)) errors[size_t(rank)] = "wrote past the end";
  });
  for (auto& e : errors) {
    if (!e.empty()) return e;
  }
  return {};
}

// Communicators whose all-reduce is forced to `algo` (WEFT_ALGO is read at init).
std::vector<weft::Comm> withAlgorithm(const std::string& algo, int ranks, weft::test::EnvSettings env = {}) {
  env.emplace_back("WEFT_ALGO", "allreduce:" + algo);
  return weft::test::initAllWith(ranks, env);
}

}  // namespace

TEST_CASE("allreduce: every algorithm, datatype and op, small and awkward counts", "[allreduce]") {
  const std::string algo = GENERATE("ring", "halving_doubling", "tree", "recursive_doubling", "direct", "shared");
  const int ranks = GENERATE(from_range(sweep({1, 2, 3, 4, 5, 8}, {1, 3, 4})));
  auto comms = withAlgorithm(algo, ranks);
  for (size_t count : {size_t(0), size_t(1), size_t(7), size_t(1000)}) {
    for (auto t : weft::test::kAllTypes) {
      for (auto op : weft::test::kAllOps) {
        for (bool inPlace : {false, true}) {
          INFO(algo << " ranks=" << ranks << " count=" << count << " type=" << weft::test::typeName(t)
                        << " op=" << int(op) << " inPlace=" << inPlace);
          REQUIRE(checkAllReduce(comms, t, op, count, inPlace) == "");
        }
      }
    }
  }
}

TEST_CASE("allreduce: a million and three elements, pipelined over many chunks", "[allreduce]") {
  const std::string algo = GENERATE("ring", "halving_doubling", "tree", "recursive_doubling", "direct", "shared");
  const int ranks = GENERATE(from_range(sweep({2, 3, 5, 8}, {3})));
  auto comms = withAlgorithm(algo, ranks);
  const size_t count = weft::test::bigCount();
  for (auto t : weft::test::kAllTypes) {
    const weftRedOp_t op = weft::test::kAllOps[size_t(t) % 5];
    for (bool inPlace : {false, true}) {
      INFO(algo << " ranks=" << ranks << " type=" << weft::test::typeName(t) << " op=" << int(op) << " inPlace=" << inPlace);
      REQUIRE(checkAllReduce(comms, t, op, count, inPlace) == "");
    }
  }
}

TEST_CASE("allreduce: tiny slots force many rounds and full FIFOs", "[allreduce]") {
  const std::string algo = GENERATE("ring", "halving_doubling", "tree", "recursive_doubling", "direct", "shared");
  auto comms = withAlgorithm(algo, GENERATE(from_range(sweep({2, 3, 4, 7}, {3}))), weft::test::kTinySlots);
  for (size_t count : {size_t(1), size_t(17), size_t(1001)}) {
    REQUIRE(checkAllReduce(comms, weftFloat64, weftSum, count, false) == "");
    REQUIRE(checkAllReduce(comms, weftInt8, weftMax, count, true) == "");
  }
}

TEST_CASE("allreduce direct: ranks that disagree on the count get InvalidUsage naming the other side", "[allreduce]") {
  // The direct algorithm reads peers' buffers: a peer with a shorter buffer must be refused before
  // any read, not read past its end. Only shared-memory links read peers (the runs of this test
  // over TCP and UCX would run another algorithm, which reports the mismatch its own way).
  const char* transport = std::getenv("WEFT_TRANSPORT");
  if (transport && std::string(transport) != "shm") return;
  auto comms = withAlgorithm("direct", 2);
  std::vector<std::string> messages(2);
  std::vector<int> codes(2, 0);
  weft::test::onEachRank(comms, [&](weft::Comm& c, int rank) {
    const size_t count = rank == 0 ? 100 : 200;
    std::vector<float> send(count, 1.0f), recv(count);
    try {
      c.allReduce(send.data(), recv.data(), count, weftFloat32, weftSum);
    } catch (const weft::Error& e) {
      codes[size_t(rank)] = e.code();
      messages[size_t(rank)] = e.what();
    }
  });
  for (int r = 0; r < 2; ++r) {
    INFO("rank " << r << ": " << messages[size_t(r)]);
    CHECK(codes[size_t(r)] == weftInvalidUsage);
    CHECK_THAT(messages[size_t(r)], Catch::Contains("rank " + std::to_string(1 - r) + " called allreduce(count=" +
                                                    (r == 0 ? "200" : "100") + ", float, sum)"));
  }
}
