// SPDX-License-Identifier: Apache-2.0
// membw's timed kernels (memcpy and a float32 sum) and their medians, on one thread or on many at once.
#include "bench/membw/measure.h"

#include <algorithm>
#include <array>
#include <barrier>
#include <cstdio>
#include <cstring>
#include <system_error>
#include <thread>

#include "bench/common/timing.h"

namespace weft::bench::membw {
namespace {

constexpr size_t kPage = 4096;
constexpr double kRunSeconds = 0.005;  // measure() lengthens a run until it lasts this long

// The float32 sum, built for AVX-512, AVX2 and baseline x86-64, the best one picked when the program
// loads (GCC ifunc). The fixed-length inner loop is what lets -O2 vectorize it: GCC 12's -O2 cost
// model ("very cheap") declines a loop whose trip count may leave a remainder; -O3 would take either.
constexpr size_t kBlock = 32;  // floats per inner loop: two AVX-512 or four AVX2 vectors
#if defined(__x86_64__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void sumFloats(float* __restrict dst, const float* __restrict a, const float* __restrict b, size_t n) {
  const size_t body = n - n % kBlock;
  for (size_t i = 0; i < body; i += kBlock) {
    for (size_t j = 0; j < kBlock; ++j) dst[i + j] = a[i + j] + b[i + j];
  }
  for (size_t i = body; i < n; ++i) dst[i] = a[i] + b[i];
}

// Seconds for `reps` back-to-back calls of the kernel, the first on slice `*slice` of the span (see
// Operands), which is left at the slice after the last: successive runs go on walking the span.
double timeRun(Kernel kernel, const Operands& o, size_t bytes, size_t reps, size_t* slice) {
  // The buffers come from allocate() (no declared type), so reading them as floats is fine.
  auto* dstFloats = reinterpret_cast<float*>(o.dst);
  const auto* aFloats = reinterpret_cast<const float*>(o.a);
  const auto* bFloats = reinterpret_cast<const float*>(o.b);
  const size_t floats = bytes / sizeof(float);
  const size_t slices = bytes == 0 ? 1 : std::max<size_t>(o.span / bytes, 1);
  weft::bench::Stopwatch watch;
  size_t at = *slice % slices;
  for (size_t i = 0; i < reps; ++i, at = at + 1 == slices ? 0 : at + 1) {
    const size_t shift = at * bytes, shiftFloats = shift / sizeof(float);  // bytes % 4 == 0 for Reduce
    if (kernel == Kernel::Copy) std::memcpy(o.dst + shift, o.a + shift, bytes);
    else sumFloats(dstFloats + shiftFloats, aFloats + shiftFloats, bFloats + shiftFloats, floats);
    asm volatile("" : : "r"(o.dst) : "memory");  // keep every call: dst is "read" after each
  }
  const double seconds = watch.seconds();
  *slice = at;
  return seconds;
}

double median(std::vector<double> values) {
  const auto mid = values.begin() + values.size() / 2;
  std::nth_element(values.begin(), mid, values.end());
  return *mid;
}

}  // namespace

Buffer allocate(size_t bytes) {
  const size_t rounded = std::max<size_t>((bytes + kPage - 1) / kPage, 1) * kPage;
  Buffer b(static_cast<char*>(std::aligned_alloc(kPage, rounded)));
  if (!b) {
    std::fprintf(stderr, "membw: cannot allocate %zu bytes\n", bytes);
    std::exit(1);
  }
  return b;
}

void prefault(char* buffer, size_t bytes) {
  const size_t rounded = std::max<size_t>((bytes + kPage - 1) / kPage, 1) * kPage;
  std::memset(buffer, 1, rounded);  // first touch costs ~10x a copy here; 0x01010101 is a normal float
}

Buffer touched(size_t bytes) {
  Buffer b = allocate(bytes);
  prefault(b.get(), bytes);
  return b;
}

Measurement measure(Kernel kernel, const Operands& operands, size_t bytes, int runs) {
  size_t reps = 1, slice = 0;
  while (timeRun(kernel, operands, bytes, reps, &slice) < kRunSeconds && reps < (size_t{1} << 40)) reps *= 2;
  std::vector<double> perOp;
  for (int r = 0; r < runs; ++r) perOp.push_back(timeRun(kernel, operands, bytes, reps, &slice) / reps);
  return {reps, median(std::move(perOp))};
}

std::optional<std::vector<double>> measureTeam(std::span<const TeamJob> jobs, int threads,
                                               size_t bytes, int runs) {
  // Allocated here, so that a lack of memory is reported before any thread starts; each thread
  // touches its own buffers first, which places them on its NUMA node.
  std::vector<std::array<Buffer, 3>> buffers(threads);
  for (auto& set : buffers) {
    for (auto& b : set) b = allocate(bytes);
  }
  // seconds[(thread * jobs + job) * runs + run]; each thread writes only its own entries, read
  // after join().
  std::vector<double> seconds(static_cast<size_t>(threads) * jobs.size() * runs);
  std::barrier<> start(threads);
  auto work = [&](int t) {
    for (auto& b : buffers[t]) prefault(b.get(), bytes);
    const Operands operands{buffers[t][0].get(), buffers[t][1].get(), buffers[t][2].get()};
    size_t slice = 0;  // one slice: these buffers are the size measured
    for (size_t j = 0; j < jobs.size(); ++j) {
      timeRun(jobs[j].kernel, operands, bytes, 1, &slice);  // untimed: brings the buffers into cache and TLB
      for (int r = 0; r < runs; ++r) {
        start.arrive_and_wait();  // the previous run has ended on every thread
        seconds[(t * jobs.size() + j) * runs + r] =
            timeRun(jobs[j].kernel, operands, bytes, jobs[j].reps, &slice);
      }
    }
  };
  std::vector<std::thread> team;
  for (int t = 0; t < threads; ++t) {
    try {
      team.emplace_back(work, t);
    } catch (const std::system_error& e) {
      std::fprintf(stderr, "membw: cannot start thread %d of %d: %s\n", t + 1, threads, e.what());
      // The threads already started must not wait for the missing ones: drop those from the barrier.
      for (int missing = t; missing < threads; ++missing) start.arrive_and_drop();
      for (auto& th : team) th.join();
      return std::nullopt;
    }
  }
  for (auto& th : team) th.join();

  std::vector<double> perOp;
  for (size_t j = 0; j < jobs.size(); ++j) {
    std::vector<double> slowest(runs, 0.0);
    for (int t = 0; t < threads; ++t) {
      for (int r = 0; r < runs; ++r) {
        slowest[r] = std::max(slowest[r], seconds[(t * jobs.size() + j) * runs + r]);
      }
    }
    perOp.push_back(median(std::move(slowest)) / jobs[j].reps);
  }
  return perOp;
}

}  // namespace weft::bench::membw
