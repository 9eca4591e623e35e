// SPDX-License-Identifier: Apache-2.0
// Bad input to the communicator calls, all-reduce and broadcast: weftInvalidArgument with a
// message, no crash, nothing on stdout; and the inputs that look odd but are valid (NULL with
// count 0, NULL sendbuff off the root).
#include <algorithm>

#include "tests/c_api/refusal.h"

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

TEST_CASE("weftGetEnvLocalRank reads the launcher's local rank", "[c_api]") {
  int r = -1;
  REQUIRE(weftGetEnvLocalRank(nullptr) == weftInvalidArgument);
  for (const char* v : {"WORLD_SIZE", "RANK", "LOCAL_RANK", "OMPI_COMM_WORLD_SIZE", "SLURM_NTASKS", "PMI_SIZE"}) unsetenv(v);
  REQUIRE(weftGetEnvLocalRank(&r) == weftSuccess);
  CHECK(r == 0);
  setenv("WORLD_SIZE", "8", 1);
  setenv("RANK", "5", 1);
  REQUIRE(weftGetEnvLocalRank(&r) == weftSuccess);
  CHECK(r == 5);  // no local rank given: the rank
  setenv("LOCAL_RANK", "1", 1);
  REQUIRE(weftGetEnvLocalRank(&r) == weftSuccess);
  CHECK(r == 1);
  for (const char* v : {"WORLD_SIZE", "RANK", "LOCAL_RANK"}) unsetenv(v);
}


TEST_CASE("weftMemAlloc and weftMemFree: shared memory, and misuse refused", "[c_api]") {
  void* p = reinterpret_cast<void*>(0x1);
  REQUIRE(weftMemAlloc(&p, 0) == weftSuccess);
  CHECK(p == nullptr);
  REQUIRE(weftMemAlloc(&p, 10000) == weftSuccess);
  REQUIRE(p != nullptr);
  CHECK(reinterpret_cast<uintptr_t>(p) % 4096 == 0);
  const auto* bytes = static_cast<const unsigned char*>(p);
  CHECK(std::all_of(bytes, bytes + 10000, [](unsigned char b) { return b == 0; }));
  std::memset(p, 7, 10000);
  StdoutCapture capture;
  REQUIRE(capture.active());
  CHECK(weftMemAlloc(nullptr, 16) == weftInvalidArgument);
  CHECK(std::string(weftGetLastError(nullptr)).find("ptr is NULL") != std::string::npos);
  CHECK(weftMemAlloc(&p, SIZE_MAX) == weftInvalidArgument);
  float heap[4];
  CHECK(weftMemFree(heap) == weftInvalidArgument);
  CHECK(std::string(weftGetLastError(nullptr)).find("did not come from weftMemAlloc") != std::string::npos);
  CHECK(weftMemFree(static_cast<char*>(p) + 64) == weftInvalidArgument);  // inside, not the start
  CHECK(weftMemFree(p) == weftSuccess);
  CHECK(weftMemFree(p) == weftInvalidArgument);  // twice
  CHECK(weftMemFree(nullptr) == weftSuccess);
  CHECK(capture.text().empty());
  // The C++ owner.
  weft::SharedBuffer<double> b(1000);
  CHECK(b.size() == 1000);
  b[999] = 2.5;
  weft::SharedBuffer<double> moved(std::move(b));
  CHECK(moved[999] == 2.5);
  CHECK(b.data() == nullptr);
}
