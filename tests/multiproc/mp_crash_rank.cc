// SPDX-License-Identifier: Apache-2.0
// A rank for mp_crash_test: writes DIR/pid-<rank>, forms the communicator, all-reduces once; then
// rank 2 aborts while the others all-reduce in a loop (and, once that fails, wait) until weftrun
// stops them.
#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/weft.h"

namespace {

int failed(const char* what, weftResult_t r, int rank) {
  std::fprintf(stderr, "mp_crash_rank: rank %d: %s returned %d (%s): %s\n", rank, what, int(r),
               weftGetErrorString(r), weftGetLastError(nullptr));
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const char* rankText = std::getenv("RANK");
  if (argc != 2 || !rankText) {
    std::fprintf(stderr, "usage: RANK=r mp_crash_rank DIR (under weftrun)\n");
    return 2;
  }
  const int rank = std::atoi(rankText);
  const std::string pidFile = std::string(argv[1]) + "/pid-" + rankText;
  if (FILE* f = std::fopen(pidFile.c_str(), "w")) {
    std::fprintf(f, "%d\n", int(::getpid()));
    std::fclose(f);
  }
  weftComm_t comm = nullptr;
  if (weftResult_t r = weftCommInitFromEnv(&comm); r != weftSuccess) return failed("weftCommInitFromEnv", r, rank);
  std::vector<double> data(1 << 16, 1.0);
  if (weftResult_t r = weftAllReduce(data.data(), data.data(), data.size(), weftFloat64, weftMax, comm, nullptr);
      r != weftSuccess) {
    return failed("the first weftAllReduce", r, rank);
  }
  if (rank == 2) {
    const rlimit noCore{0, 0};
    ::setrlimit(RLIMIT_CORE, &noCore);  // a crash, not a core file, is what is tested
    std::abort();
  }
  for (;;) {
    if (weftResult_t r = weftAllReduce(data.data(), data.data(), data.size(), weftFloat64, weftMax, comm, nullptr);
        r != weftSuccess) {
      // Rank 2's death fails this call at once (its peers watch its process). Exiting now would
      // race rank 2's own exit to weftrun, which reports whichever it reaps first; this rank
      // waits to be stopped instead, so the job's cause is rank 2's abort, as tested.
      failed("weftAllReduce", r, rank);
      for (;;) ::pause();
    }
  }
}
