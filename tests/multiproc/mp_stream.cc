// SPDX-License-Identifier: Apache-2.0
// Under weftrun: every collective on device buffers and streams of the test device runtime, in
// real processes (tests/runtime/stream_sweep.h). All-reduce and broadcast run as the device ring
// over the peers' workspaces opened through CUDA IPC (the test runtime's: their memfds), the rest
// staged, whose blocks come from weft's shared allocator, so large calls between processes take
// the one-copy algorithms over them. Destroy releases every opened workspace and allocation but
// the rank's own workspace, which the others opened.
#include <cstdio>
#include <cstdlib>
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
  // Note [Device link]: all-reduce and broadcast ran as the device ring, each rank having opened
  // every other's workspace through (the test runtime's) CUDA IPC, unless WEFT_CUDA_LINK=staged,
  // or the default (auto) and the processes share the test runtime's GPU
  // (WEFT_TEST_FAKE_SHARED_GPU=1; else each process has one of its own).
  const char* linkVar = std::getenv("WEFT_CUDA_LINK");
  const char* sharedVar = std::getenv("WEFT_TEST_FAKE_SHARED_GPU");
  const std::string link = linkVar ? linkVar : "auto";
  const bool shared = sharedVar != nullptr && std::string(sharedVar) == "1";
  const bool ring = link == "ring" || (link == "auto" && !shared);
  if (dev.ipcOpenLive() != (ring ? n - 1 : 0) || (dev.ringLaunches() > 0) != ring) {
    std::fprintf(stderr, "mp_stream: rank %d: %ld workspaces opened and %ld ring launches (WEFT_CUDA_LINK=%s%s)\n",
                 rank, dev.ipcOpenLive(), dev.ringLaunches(), link.c_str(), shared ? ", one GPU" : "");
    ++failures;
  }
  if (weftCommDestroy(comm) != weftSuccess) ++failures;
  // Destroy closed every peer's workspace; this rank's own, which the others opened, stays
  // allocated until the process exits (Note [Device link]: freeing it under their mappings would
  // be undefined), and nothing else does.
  const long kept = ring && n > 1 ? 1 : 0;
  if (dev.pinnedLive() != 0 || dev.ipcOpenLive() != 0 || dev.deviceLive() != kept) {
    std::fprintf(stderr, "mp_stream: rank %d: after destroy, %ld pinned ranges, %ld opened workspaces and %ld device allocations left\n",
                 rank, dev.pinnedLive(), dev.ipcOpenLive(), dev.deviceLive());
    ++failures;
  }
  if (rank == 0) std::printf("mp_stream: %d ranks, %s\n", n, failures == 0 ? "passed" : "FAILED");
  return failures == 0 ? 0 : 1;
}
