// SPDX-License-Identifier: Apache-2.0
// Under weftrun: every collective on device buffers and streams of the test device runtime, in
// real processes (tests/runtime/stream_sweep.h). The staging blocks come from weft's shared
// allocator, so large calls between processes take the one-copy algorithms over them.
#include <cstdio>
#include <string>
#include <vector>

#include "runtime/weft.h"
#include "tests/runtime/stream_sweep.h"

int main() {
  weft::test::FakeDevice dev;
  weftComm_t comm = nullptr;
  if (weftCommInitFromEnv(&comm) != weftSuccess) {
    std::fprintf(stderr, "mp_stream: weftCommInitFromEnv: %s\n", weftGetLastError(nullptr));
    return 1;
  }
  int rank = 0, n = 0;
  weftCommUserRank(comm, &rank);
  weftCommCount(comm, &n);
  int failures = 0;
  try {
    for (size_t count : {size_t(0), size_t(1), size_t(7), size_t(1031), (size_t(1) << 20) + 3}) {
      for (const std::string& w : weft::test::sweepOnStream(dev, comm, rank, n, count)) {
        std::fprintf(stderr, "mp_stream: rank %d of %d: %s\n", rank, n, w.c_str());
        ++failures;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mp_stream: rank %d of %d: %s\n", rank, n, e.what());
    ++failures;
  }
  if (weftCommDestroy(comm) != weftSuccess) ++failures;
  if (dev.pinnedLive() != 0) {
    std::fprintf(stderr, "mp_stream: rank %d: %ld pinned ranges left after destroy\n", rank, dev.pinnedLive());
    ++failures;
  }
  if (rank == 0) std::printf("mp_stream: %d ranks, %s\n", n, failures == 0 ? "passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}
