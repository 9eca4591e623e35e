// SPDX-License-Identifier: Apache-2.0
// A rank for the process tests: forms a communicator with weftCommInitFromEnv and does what argv
// says; exits 0 on success and explains any failure on stderr.
//
//   env_rank allreduce VALUE SIZE RANK   init, check size and rank, all-reduce VALUE-based data
//   env_rank fail CODE TEXT...           init must fail with weftResult_t CODE, and its message
//                                        must contain every TEXT
//   env_rank loop READYFILE              init, all-reduce once, create READYFILE, then all-reduce
//                                        until a call fails; exits 100 + that call's code
//   env_rank early-exit                  broadcast from rank 0, which exits at once, while rank 1
//                                        starts late: the other ranks must still succeed
//   env_rank shrink READYFILE VICTIM     as loop; once a call fails, asks weft which ranks failed
//                                        (must be VICTIM), shrinks them away (WEFT_SHRINK_ABORT)
//                                        and checks an all-reduce of the rest;
//                                        exits 0 and prints "shrunk" on success
//   env_rank shrink READYFILE VICTIM quiet   the same, but the victim stops calling once ready
//                                        (it is killed while it sends nothing: Note [Known
//                                        gaps], ucx-fifo-wedge)
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "runtime/weft.h"

namespace {

int failure(const char* what, weftResult_t r) {
  std::fprintf(stderr, "env_rank: %s returned %d (%s): %s\n", what, int(r), weftGetErrorString(r),
               weftGetLastError(nullptr));
  return 1;
}

// Every rank adds VALUE + rank * i at element i, so the sum is n*VALUE + i*n(n-1)/2: a rank of
// another job (another VALUE) or a missing or extra rank shows in every element.
int allReduce(long long value, int wantSize, int wantRank) {
  weftComm_t comm = nullptr;
  if (weftResult_t r = weftCommInitFromEnv(&comm); r != weftSuccess) return failure("weftCommInitFromEnv", r);
  int size = -1, rank = -1;
  if (weftResult_t r = weftCommCount(comm, &size); r != weftSuccess) return failure("weftCommCount", r);
  if (weftResult_t r = weftCommUserRank(comm, &rank); r != weftSuccess) return failure("weftCommUserRank", r);
  if (size != wantSize || rank != wantRank) {
    std::fprintf(stderr, "env_rank: got rank %d of %d, want %d of %d\n", rank, size, wantRank, wantSize);
    return 1;
  }
  constexpr size_t kCount = 1001;
  std::vector<long long> data(kCount);
  for (size_t i = 0; i < kCount; ++i) data[i] = value + rank * (long long)i;
  if (weftResult_t r = weftAllReduce(data.data(), data.data(), kCount, weftInt64, weftSum, comm, nullptr);
      r != weftSuccess) {
    return failure("weftAllReduce", r);
  }
  const long long n = size;
  for (size_t i = 0; i < kCount; ++i) {
    const long long want = n * value + (long long)i * n * (n - 1) / 2;
    if (data[i] != want) {
      std::fprintf(stderr, "env_rank: rank %d element %zu is %lld, want %lld\n", rank, i, data[i], want);
      return 1;
    }
  }
  // The last rank broadcasts its value; everyone must see it.
  double b = rank == size - 1 ? double(value) + 0.5 : -1.0;
  if (weftResult_t r = weftBroadcast(&b, &b, 1, weftFloat64, size - 1, comm, nullptr); r != weftSuccess) {
    return failure("weftBroadcast", r);
  }
  if (b != double(value) + 0.5) {
    std::fprintf(stderr, "env_rank: rank %d received broadcast %f, want %f\n", rank, b, double(value) + 0.5);
    return 1;
  }
  if (weftResult_t r = weftCommDestroy(comm); r != weftSuccess) return failure("weftCommDestroy", r);
  std::printf("rank %d of %d: sum[0] = %lld\n", rank, size, data[0]);
  return 0;
}

int expectFailure(int wantCode, const std::vector<std::string>& wantTexts) {
  weftComm_t comm = reinterpret_cast<weftComm_t>(&wantCode);  // must be reset to NULL
  const weftResult_t r = weftCommInitFromEnv(&comm);
  const std::string message = weftGetLastError(nullptr);
  std::printf("%d %s\n", int(r), message.c_str());
  bool texts = true;
  for (const auto& t : wantTexts) texts = texts && message.find(t) != std::string::npos;
  if (int(r) != wantCode || !texts || comm != nullptr) {
    std::string want;
    for (const auto& t : wantTexts) want += " '" + t + "'";
    std::fprintf(stderr, "env_rank: weftCommInitFromEnv returned %d with message '%s' (comm %s); want %d with%s\n",
                 int(r), message.c_str(), comm ? "set" : "NULL", wantCode, want.c_str());
    if (r == weftSuccess && comm != nullptr) weftCommDestroy(comm);
    return 1;
  }
  return 0;
}

// After the failure: the survivors of `comm` without `victim` all-reduce their old ranks.
int shrinkAndGoOn(weftComm_t comm, int victim) {
  int rank = 0, size = 0;
  weftCommUserRank(comm, &rank);
  weftCommCount(comm, &size);
  // Which rank failed, as weft sees it: the victim, once its process is gone.
  int failed[4] = {-1, -1, -1, -1}, nfailed = 0;
  for (int tries = 0; tries < 200 && nfailed == 0; ++tries) {
    if (weftResult_t r = weftCommGetFailedRanks(comm, failed, 4, &nfailed); r != weftSuccess) {
      return failure("weftCommGetFailedRanks", r);
    }
    if (nfailed == 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (nfailed != 1 || failed[0] != victim) {
    std::fprintf(stderr, "env_rank: weftCommGetFailedRanks gave %d rank(s), the first %d; rank %d was killed\n",
                 nfailed, failed[0], victim);
    return 1;
  }
  weftComm_t child = nullptr;
  if (weftResult_t r = weftCommShrink(comm, failed, nfailed, &child, WEFT_SHRINK_ABORT); r != weftSuccess) {
    return failure("weftCommShrink", r);
  }
  int64_t sum = rank;
  if (weftResult_t r = weftAllReduce(&sum, &sum, 1, weftInt64, weftSum, child, nullptr); r != weftSuccess) {
    return failure("weftAllReduce after the shrink", r);
  }
  int newRank = -1, newSize = 0;
  weftCommUserRank(child, &newRank);
  weftCommCount(child, &newSize);
  const int64_t want = int64_t(size) * (size - 1) / 2 - victim;
  if (sum != want || newSize != size - 1 || newRank != (rank < victim ? rank : rank - 1)) {
    std::fprintf(stderr, "env_rank: after the shrink rank %d of %d summed %lld, expected %lld\n", newRank, newSize,
                 static_cast<long long>(sum), static_cast<long long>(want));
    return 1;
  }
  std::printf("shrunk: rank %d is rank %d of %d, sum %lld\n", rank, newRank, newSize, static_cast<long long>(sum));
  weftCommDestroy(child);
  weftCommDestroy(comm);
  return 0;
}

int loop(const char* readyFile, int victim = -1, bool quietVictim = false) {
  weftComm_t comm = nullptr;
  if (weftResult_t r = weftCommInitFromEnv(&comm); r != weftSuccess) return failure("weftCommInitFromEnv", r);
  std::vector<float> data(4096, 1.0f);
  if (weftResult_t r = weftAllReduce(data.data(), data.data(), data.size(), weftFloat32, weftMax, comm, nullptr);
      r != weftSuccess) {
    return failure("the first weftAllReduce", r);
  }
  if (FILE* f = std::fopen(readyFile, "w")) {
    std::fclose(f);
  } else {
    std::perror("env_rank: cannot create the ready file");
    return 1;
  }
  int rank = -1;
  if (quietVictim && weftCommUserRank(comm, &rank) == weftSuccess && rank == victim) {
    for (;;) std::this_thread::sleep_for(std::chrono::seconds(1));  // until killed
  }
  for (;;) {
    const weftResult_t r = weftAllReduce(data.data(), data.data(), data.size(), weftFloat32, weftMax, comm, nullptr);
    if (r != weftSuccess) {
      std::fprintf(stderr, "env_rank: weftAllReduce returned %d (%s): %s\n", int(r), weftGetErrorString(r),
                   weftGetLastError(nullptr));
      if (victim >= 0) return shrinkAndGoOn(comm, victim);
      weftCommDestroy(comm);
      return 100 + int(r);
    }
  }
}

// A rank that is done may exit while others still wait on their part of the same collective:
// with the chain broadcast 0 -> 1 -> 2 ..., rank 0 has posted everything and leaves, rank 2
// waits on the late rank 1. That exit is normal and must not fail rank 2.
int earlyExit() {
  weftComm_t comm = nullptr;
  if (weftResult_t r = weftCommInitFromEnv(&comm); r != weftSuccess) return failure("weftCommInitFromEnv", r);
  int rank = -1;
  if (weftResult_t r = weftCommUserRank(comm, &rank); r != weftSuccess) return failure("weftCommUserRank", r);
  if (rank == 1) std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::vector<int> data(1000, rank == 0 ? 17 : 0);
  if (weftResult_t r = weftBroadcast(data.data(), data.data(), data.size(), weftInt32, 0, comm, nullptr);
      r != weftSuccess) {
    return failure("weftBroadcast", r);
  }
  for (int v : data) {
    if (v != 17) {
      std::fprintf(stderr, "env_rank: rank %d received %d, want 17\n", rank, v);
      return 1;
    }
  }
  return weftCommDestroy(comm) == weftSuccess ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string mode = argc > 1 ? argv[1] : "";
  if (mode == "allreduce" && argc == 5) return allReduce(std::atoll(argv[2]), std::atoi(argv[3]), std::atoi(argv[4]));
  if (mode == "fail" && argc >= 3) return expectFailure(std::atoi(argv[2]), {argv + 3, argv + argc});
  if (mode == "loop" && argc == 3) return loop(argv[2]);
  if (mode == "early-exit" && argc == 2) return earlyExit();
  if (mode == "shrink" && (argc == 4 || (argc == 5 && std::string(argv[4]) == "quiet"))) {
    return loop(argv[2], std::atoi(argv[3]), argc == 5);
  }
  std::fprintf(stderr,
               "usage: env_rank allreduce VALUE SIZE RANK | fail CODE TEXT... | loop READYFILE | early-exit | "
               "shrink READYFILE VICTIM [quiet]\n");
  return 2;
}
