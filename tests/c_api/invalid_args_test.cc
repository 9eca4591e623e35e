// SPDX-License-Identifier: Apache-2.0
// Bad input to every C entry point: weftInvalidArgument with a message, no crash, nothing on
// stdout; the inputs that look odd but are valid (NULL with count 0, NULL sendbuff off the root).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/weft.hpp"
#include "tests/support/ranks.h"

namespace {

struct Outcome {
  std::string call;
  std::string function;  // the entry point, which the message should name
  weftResult_t code;
  std::string message;
};

// Sends fd 1 to a temporary file for a scope; text() gives what was written there.
class StdoutCapture {
 public:
  StdoutCapture() : file_(std::tmpfile()) {
    std::fflush(stdout);
    saved_ = ::dup(1);
    if (file_ && saved_ >= 0) ::dup2(::fileno(file_), 1);
  }
  ~StdoutCapture() { restore(); if (file_) std::fclose(file_); }
  StdoutCapture(const StdoutCapture&) = delete;
  StdoutCapture& operator=(const StdoutCapture&) = delete;

  bool active() const { return file_ != nullptr && saved_ >= 0; }
  std::string text() {
    restore();
    std::string out;
    if (!file_) return out;
    std::rewind(file_);
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof(buf), file_)) > 0;) out.append(buf, n);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stdout);
    ::dup2(saved_, 1);
    ::close(saved_);
    saved_ = -1;
  }
  FILE* file_;
  int saved_ = -1;
};

// Collects outcomes while stdout is captured; the assertions come after (Catch2 writes to stdout).
class Recorder {
 public:
  void operator()(std::string call, std::string function, weftResult_t code) {
    outcomes_.push_back({std::move(call), std::move(function), code, weftGetLastError(nullptr)});
  }
  const std::vector<Outcome>& outcomes() const { return outcomes_; }

 private:
  std::vector<Outcome> outcomes_;
};

void requireInvalid(const std::vector<Outcome>& outcomes) {
  for (const Outcome& o : outcomes) {
    INFO(o.call << " -> " << int(o.code) << ": " << o.message);
    CHECK(o.code == weftInvalidArgument);
    CHECK(o.message.find(o.function) != std::string::npos);
  }
}

// Runs calls(rec) with stdout captured, then requires every recorded call to be refused with a
// message naming its function, and nothing printed.
template <class Calls>
void requireRefused(Calls&& calls) {
  Recorder rec;
  std::string printed;
  {
    StdoutCapture capture;
    REQUIRE(capture.active());
    calls(rec);
    printed = capture.text();
  }
  CHECK(printed == "");
  requireInvalid(rec.outcomes());
}

// Communicators for the newer calls' cases: one rank, two thread ranks (for what depends on the
// rank count or the root), and the handle of a destroyed one.
struct Comms {
  Comms() {
    weftComm_t c = nullptr;
    weft::check(weftCommInitAll(&c, 1, nullptr));
    weft::check(weftCommDestroy(c));
    dead = c;
  }
  std::vector<weft::Comm> ones = weft::Comm::initAll(1);
  std::vector<weft::Comm> twos = weft::Comm::initAll(2);
  weftComm_t one() const { return ones[0].get(); }
  weftComm_t two(int rank) const { return twos[size_t(rank)].get(); }
  weftComm_t dead = nullptr;
};

// Runs call(comm, rank) on both ranks of a two-rank communicator; returns each rank's result.
template <class Call>
std::vector<weftResult_t> onTwoRanks(std::vector<weft::Comm>& comms, Call&& call) {
  std::vector<weftResult_t> codes(2, weftInternalError);
  weft::test::onEachRank(comms, [&](weft::Comm& c, int rank) { codes[size_t(rank)] = call(c.get(), rank); });
  return codes;
}

const std::vector<weftResult_t> kBothSucceed{weftSuccess, weftSuccess};
const auto kStream = reinterpret_cast<weftStream_t>(0x1);
// count * sizeof(float) fits in size_t, count * 2 ranks * sizeof(float) does not.
constexpr size_t kOverflowsTwoRanks = SIZE_MAX / sizeof(float) / 2 + 1;
constexpr size_t kOverflowsOneRank = SIZE_MAX / sizeof(float) + 1;

}  // namespace

TEST_CASE("the stdout capture sees what is printed, by stdio and by write(2)", "[c_api]") {
  StdoutCapture capture;
  REQUIRE(capture.active());
  std::printf("stdio ");
  std::fflush(stdout);
  CHECK(::write(1, "fd\n", 3) == 3);
  CHECK(capture.text() == "stdio fd\n");
}

TEST_CASE("bad arguments on a live communicator are refused", "[c_api]") {
  weftComm_t comm = nullptr;
  REQUIRE(weftCommInitAll(&comm, 1, nullptr) == weftSuccess);
  std::vector<float> buf(64, 1.0f), out(64, 0.0f);
  float* b = buf.data();
  float* o = out.data();
  const size_t overflowing = SIZE_MAX / sizeof(float) + 1;
  Recorder rec;
  StdoutCapture capture;
  REQUIRE(capture.active());
  rec("allreduce NULL sendbuff", "weftAllReduce", weftAllReduce(nullptr, o, 4, weftFloat, weftSum, comm, nullptr));
  rec("allreduce NULL recvbuff", "weftAllReduce", weftAllReduce(b, nullptr, 4, weftFloat, weftSum, comm, nullptr));
  rec("allreduce NULL both", "weftAllReduce", weftAllReduce(nullptr, nullptr, 1, weftFloat, weftSum, comm, nullptr));
  rec("allreduce overflowing count", "weftAllReduce", weftAllReduce(b, o, overflowing, weftFloat, weftSum, comm, nullptr));
  rec("allreduce SIZE_MAX int64", "weftAllReduce", weftAllReduce(b, o, SIZE_MAX, weftInt64, weftSum, comm, nullptr));
  rec("allreduce weftNumTypes", "weftAllReduce", weftAllReduce(b, o, 4, weftNumTypes, weftSum, comm, nullptr));
  rec("allreduce weftNumOps", "weftAllReduce", weftAllReduce(b, o, 4, weftFloat, weftNumOps, comm, nullptr));
  rec("allreduce recv = send + 1", "weftAllReduce", weftAllReduce(b, b + 1, 8, weftFloat, weftSum, comm, nullptr));
  rec("allreduce send = recv + 7", "weftAllReduce", weftAllReduce(b + 7, b, 8, weftFloat, weftSum, comm, nullptr));
  rec("allreduce stream", "weftAllReduce", weftAllReduce(b, o, 4, weftFloat, weftSum, comm, reinterpret_cast<weftStream_t>(0x1)));
  rec("broadcast root -1", "weftBroadcast", weftBroadcast(b, o, 4, weftFloat, -1, comm, nullptr));
  rec("broadcast root = nranks", "weftBroadcast", weftBroadcast(b, o, 4, weftFloat, 1, comm, nullptr));
  rec("broadcast NULL sendbuff on root", "weftBroadcast", weftBroadcast(nullptr, o, 4, weftFloat, 0, comm, nullptr));
  rec("broadcast NULL recvbuff", "weftBroadcast", weftBroadcast(b, nullptr, 4, weftFloat, 0, comm, nullptr));
  rec("broadcast overflowing count", "weftBroadcast", weftBroadcast(b, o, overflowing, weftFloat, 0, comm, nullptr));
  rec("broadcast weftNumTypes", "weftBroadcast", weftBroadcast(b, o, 4, weftNumTypes, 0, comm, nullptr));
  rec("broadcast overlap", "weftBroadcast", weftBroadcast(b, b + 2, 8, weftFloat, 0, comm, nullptr));
  rec("broadcast stream", "weftBroadcast", weftBroadcast(b, o, 4, weftFloat, 0, comm, reinterpret_cast<weftStream_t>(0x1)));
  rec("count NULL out", "weftCommCount", weftCommCount(comm, nullptr));
  rec("user rank NULL out", "weftCommUserRank", weftCommUserRank(comm, nullptr));
  // Casting -1 to these enums is undefined in C++ (no negative enumerator); c_api_test.c passes
  // -1 from C, where it is defined.
  rec("broadcast weftBfloat16 + 1", "weftBroadcast", weftBroadcast(b, o, 4, weftDataType_t(weftBfloat16 + 1), 0, comm, nullptr));
  // Valid after all: NULL buffers with count 0, and equal pointers (in place).
  const weftResult_t zeroAllReduce = weftAllReduce(nullptr, nullptr, 0, weftFloat, weftSum, comm, nullptr);
  const weftResult_t zeroBroadcast = weftBroadcast(nullptr, nullptr, 0, weftFloat, 0, comm, nullptr);
  const weftResult_t inPlace = weftAllReduce(b, b, 64, weftFloat, weftSum, comm, nullptr);
  const std::string printed = capture.text();

  CHECK(printed == "");
  requireInvalid(rec.outcomes());
  CHECK(zeroAllReduce == weftSuccess);
  CHECK(zeroBroadcast == weftSuccess);
  CHECK(inPlace == weftSuccess);
  CHECK(buf[0] == 1.0f);
  CHECK(out == std::vector<float>(64, 0.0f));  // nothing refused wrote to recvbuff
  CHECK(weftCommDestroy(comm) == weftSuccess);
}

TEST_CASE("NULL, destroyed and garbage handles and ids are refused", "[c_api]") {
  weftComm_t dead = nullptr;
  REQUIRE(weftCommInitAll(&dead, 1, nullptr) == weftSuccess);
  REQUIRE(weftCommDestroy(dead) == weftSuccess);
  weftUniqueId id;
  REQUIRE(weftGetUniqueId(&id) == weftSuccess);
  weftUniqueId garbage;
  std::memset(garbage.internal, 0x5A, sizeof(garbage.internal));
  weftUniqueId zeros{};
  float x = 1, y = 0;
  int n = 0;
  // Each init must also leave NULL in its out-pointer; start from a non-NULL value.
  std::vector<weftComm_t> initOut;
  auto sentinel = [&] { return reinterpret_cast<weftComm_t>(&x); };
  weftComm_t c = sentinel();

  Recorder rec;
  StdoutCapture capture;
  REQUIRE(capture.active());
  rec("allreduce NULL comm", "weftAllReduce", weftAllReduce(&x, &y, 1, weftFloat, weftSum, nullptr, nullptr));
  rec("broadcast NULL comm", "weftBroadcast", weftBroadcast(&x, &y, 1, weftFloat, 0, nullptr, nullptr));
  rec("count NULL comm", "weftCommCount", weftCommCount(nullptr, &n));
  rec("user rank NULL comm", "weftCommUserRank", weftCommUserRank(nullptr, &n));
  rec("allreduce destroyed comm", "weftAllReduce", weftAllReduce(&x, &y, 1, weftFloat, weftSum, dead, nullptr));
  rec("broadcast destroyed comm", "weftBroadcast", weftBroadcast(&x, &y, 1, weftFloat, 0, dead, nullptr));
  rec("count destroyed comm", "weftCommCount", weftCommCount(dead, &n));
  rec("double destroy", "weftCommDestroy", weftCommDestroy(dead));
  rec("get version NULL", "weftGetVersion", weftGetVersion(nullptr));
  rec("get unique id NULL", "weftGetUniqueId", weftGetUniqueId(nullptr));
  rec("init rank NULL comm", "weftCommInitRank", weftCommInitRank(nullptr, 2, id, 0));
  rec("init all NULL comms", "weftCommInitAll", weftCommInitAll(nullptr, 2, nullptr));
  rec("init from env NULL", "weftCommInitFromEnv", weftCommInitFromEnv(nullptr));
  rec("init all ndev 0", "weftCommInitAll", weftCommInitAll(&c, 0, nullptr));
  rec("init all ndev -1", "weftCommInitAll", weftCommInitAll(&c, -1, nullptr));
  for (auto [nranks, rank] : {std::pair{0, 0}, std::pair{-1, 0}, std::pair{4, -1}, std::pair{4, 4}}) {
    c = sentinel();
    rec("init rank nranks=" + std::to_string(nranks) + " rank=" + std::to_string(rank), "weftCommInitRank",
        weftCommInitRank(&c, nranks, id, rank));
    initOut.push_back(c);
  }
  for (const weftUniqueId* bad : {&garbage, &zeros}) {
    c = sentinel();
    rec(bad == &zeros ? "init rank zero id" : "init rank garbage id", "weftCommInitRank",
        weftCommInitRank(&c, 2, *bad, 0));
    initOut.push_back(c);
  }
  const weftResult_t destroyNull = weftCommDestroy(nullptr);
  const std::string printed = capture.text();

  CHECK(printed == "");
  requireInvalid(rec.outcomes());
  CHECK(destroyNull == weftSuccess);
  for (weftComm_t out : initOut) CHECK(out == nullptr);
}

TEST_CASE("a NULL sendbuff is fine on a rank that is not the broadcast root", "[c_api]") {
  auto comms = weft::Comm::initAll(2);
  std::vector<std::vector<int32_t>> got(2);
  std::vector<weftResult_t> codes(2, weftInternalError);
  weft::test::onEachRank(comms, [&](weft::Comm& c, int rank) {
    std::vector<int32_t> send(5, 77), recv(5, 0);
    codes[size_t(rank)] = weftBroadcast(rank == 0 ? send.data() : nullptr, recv.data(), 5, weftInt32, 0, c.get(), nullptr);
    got[size_t(rank)] = recv;
  });
  CHECK(codes == std::vector<weftResult_t>{weftSuccess, weftSuccess});
  CHECK(got[1] == std::vector<int32_t>(5, 77));
  CHECK(got[0] == std::vector<int32_t>(5, 77));
}

TEST_CASE("the C++ wrapper throws weft::Error carrying the code", "[c_api]") {
  weft::Comm none;
  float x = 0;
  try {
    none.allReduce(&x, &x, 1, weftFloat, weftSum);
    FAIL("allReduce on an empty weft::Comm did not throw");
  } catch (const weft::Error& e) {
    CHECK(e.code() == weftInvalidArgument);
    CHECK(std::string(e.what()).find("weftAllReduce") != std::string::npos);
  }
  weftUniqueId id{};
  try {
    weft::Comm::initRank(0, id, 0);
    FAIL("initRank with nranks 0 did not throw");
  } catch (const weft::Error& e) {
    CHECK(e.code() == weftInvalidArgument);
  }
  auto one = weft::Comm::initAll(1);
  CHECK_THROWS_MATCHES(one[0].broadcast(&x, &x, 1, weftFloat, 3), weft::Error,
                       Catch::Predicate<weft::Error>([](const weft::Error& e) { return e.code() == weftInvalidArgument; },
                                                     "code is weftInvalidArgument"));
}

TEST_CASE("weftGetEnvWorldSize reads the launcher's world size", "[c_api]") {
  int n = -1;
  REQUIRE(weftGetEnvWorldSize(nullptr) == weftInvalidArgument);
  unsetenv("WORLD_SIZE");
  unsetenv("RANK");
  unsetenv("OMPI_COMM_WORLD_SIZE");
  unsetenv("SLURM_NTASKS");
  unsetenv("PMI_SIZE");
  REQUIRE(weftGetEnvWorldSize(&n) == weftSuccess);
  CHECK(n == 1);
  setenv("OMPI_COMM_WORLD_SIZE", "6", 1);
  setenv("OMPI_COMM_WORLD_RANK", "2", 1);
  REQUIRE(weftGetEnvWorldSize(&n) == weftSuccess);
  CHECK(n == 6);
  setenv("OMPI_COMM_WORLD_SIZE", "six", 1);
  CHECK(weftGetEnvWorldSize(&n) == weftInvalidArgument);
  unsetenv("OMPI_COMM_WORLD_SIZE");
  unsetenv("OMPI_COMM_WORLD_RANK");
}

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
