// SPDX-License-Identifier: Apache-2.0
// membw's timed kernels (memcpy and a float32 sum) and their medians, on one thread or on many at once.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <memory>
#include <optional>
#include <span>
#include <vector>

namespace weft::bench::membw {

enum class Kernel {
  Copy,    // memcpy(dst, a, bytes)
  Reduce,  // dst[i] = a[i] + b[i] over bytes / 4 floats
};

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<char[], FreeDeleter>;

// Page-aligned memory for bytes (rounded up to whole pages), not touched yet. Prints a message and
// exits with status 1 when there is none.
Buffer allocate(size_t bytes);

// Writes every page of an allocate()d buffer, so that no first-touch fault lands in a timed run. The
// calling thread's NUMA node gets the pages. The bytes also read as small normal floats (no denormals).
void prefault(char* buffer, size_t bytes);

// allocate() + prefault() on the calling thread.
Buffer touched(size_t bytes);

// A kernel's buffers: Copy reads a; Reduce reads a and b; both write dst. Borrowed for the call only.
// Each holds `span` bytes (0: just the size measured). Call i of a run works on the size's i-th
// slice of the span, wrapping around, as the perf tools' iterations do (nccl-tests' shifting
// offsets): sizes well under the span are then measured on data the last calls did not leave in
// the cache, as the collectives are; with span 0 the same bytes are reused, hot where they fit.
struct Operands {
  char* dst;
  const char* a;
  const char* b;
  size_t span = 0;
};

struct Measurement {
  size_t reps;          // kernel calls per timed run
  double secondsPerOp;  // median over the runs of (run time / reps)
};

// One thread: doubles the calls per run until a run lasts at least 5 ms, then returns the median of
// `runs` runs. Reentrant.
Measurement measure(Kernel kernel, const Operands& operands, size_t bytes, int runs);

// One kernel for measureTeam(), called `reps` times per run by each thread.
struct TeamJob {
  Kernel kernel;
  size_t reps;
};

// `threads` threads, each with its own three buffers of `bytes` (pre-faulted by that thread), run
// every job `runs` times; each run starts on a barrier and lasts as long as its slowest thread.
// Returns, per job, the median over the runs of (slowest thread's time / reps); nullopt (with a
// message on stderr) if a thread could not be started.
std::optional<std::vector<double>> measureTeam(std::span<const TeamJob> jobs, int threads,
                                               size_t bytes, int runs);

}  // namespace weft::bench::membw
