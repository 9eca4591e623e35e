// SPDX-License-Identifier: Apache-2.0
// One rank of a fault trial: joins through env:// (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT),
// makes the seeded random calls of tests/faults/calls.h until one fails, and reports how.
//
//   fault_rank SEED MAXLOG READYFILE
//
// After its first call succeeds it creates READYFILE (the driver injects faults only once every
// rank has), then loops. When a call fails it prints, on stdout, for the driver to parse:
//   fail CODE AT_NS START_NS CALLS_DONE    (CLOCK_MONOTONIC, the clock of std::chrono::steady_clock)
//   call DESCRIPTION
//   message WEFT_LAST_ERROR
//   later CODE MESSAGE                     (a barrier after the failure: it must fail too)
//   close destroy|abort CODE MILLISECONDS  (weftCommDestroy or weftCommAbort, by rank and seed)
// and exits 3. A call that succeeds with wrong data prints "wrong CALL: WHAT" and exits 4.
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "tests/faults/calls.h"

namespace {

long long nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// Prints a line and pushes it to the file at once: the driver may SIGKILL this process later.
template <class... A>
void say(const char* fmt, A... a) {
  std::printf(fmt, a...);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: fault_rank SEED MAXLOG READYFILE (RANK, WORLD_SIZE, MASTER_* set)\n");
    return 2;
  }
  // Ranks loop until a call fails: should the driver die, they must not run on.
  const pid_t driver = ::getppid();
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != driver) return 2;
  const uint64_t seed = std::strtoull(argv[1], nullptr, 0);
  const int maxLog = std::atoi(argv[2]);
  weftComm_t comm = nullptr;
  int rank = -1, size = 0;
  if (weftResult_t r = weftCommInitFromEnv(&comm); r != weftSuccess) {
    say("init %d %s\n", int(r), weftGetLastError(nullptr));
    return 1;
  }
  weftCommUserRank(comm, &rank);
  weftCommCount(comm, &size);
  weft::faults::CallSequence calls(seed, size, maxLog);
  for (long long done = 0;; ++done) {
    const weft::faults::Call c = calls.next();
    std::string wrong;
    const long long start = nowNs();
    const weftResult_t r = weft::faults::runCall(c, rank, size, comm, &wrong);
    if (!wrong.empty()) {
      say("wrong %s: %s\n", weft::faults::describe(c).c_str(), wrong.c_str());
      return 4;
    }
    if (r == weftSuccess) {
      if (done == 0) {
        if (FILE* f = std::fopen(argv[3], "w")) std::fclose(f);
      }
      continue;
    }
    const long long at = nowNs();
    say("fail %d %lld %lld %lld\ncall %s\nmessage %s\n", int(r), at, start, done, weft::faults::describe(c).c_str(),
        weftGetLastError(nullptr));
    // The communicator must refuse what comes next, naming the first failure.
    const weftResult_t later = weftBarrier(comm, nullptr);
    say("later %d %s\n", int(later), later == weftSuccess ? "" : weftGetLastError(nullptr));
    // Programs end a failed communicator either way (PyTorch's watchdog aborts); both must return.
    const bool viaAbort = (seed >> (rank % 64)) & 1;
    const long long closeStart = nowNs();
    const weftResult_t d = viaAbort ? weftCommAbort(comm) : weftCommDestroy(comm);
    say("close %s %d %lld\n", viaAbort ? "abort" : "destroy", int(d), (nowNs() - closeStart) / 1000000);
    return 3;
  }
}
