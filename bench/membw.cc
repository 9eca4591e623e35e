// SPDX-License-Identifier: Apache-2.0
// membw: this machine's single-thread memcpy bandwidth by size, the yardstick for the perf tools' busbw on one host.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "bench/common/flags.h"
#include "bench/common/timing.h"

namespace {

using weft::bench::kMiB;

struct MembwOptions {
  size_t minBytes = 8;
  size_t maxBytes = 256 * kMiB;
  size_t factor = 4;
  int runs = 5;  // the median of this many timed runs is reported
};

constexpr double kRunSeconds = 0.005;  // each run repeats the copy for at least this long
constexpr size_t kSummaryBytes = 64 * kMiB;

struct FreeDeleter {
  void operator()(char* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<char[], FreeDeleter>;

Buffer touched(size_t bytes) {
  const size_t rounded = (bytes + 4095) / 4096 * 4096;
  Buffer b(static_cast<char*>(std::aligned_alloc(4096, rounded)));
  if (!b) {
    std::fprintf(stderr, "membw: cannot allocate %zu bytes\n", bytes);
    std::exit(1);
  }
  std::memset(b.get(), 1, rounded);  // pre-fault every page: first touch costs ~10x a copy here
  return b;
}

double copyRun(char* dst, const char* src, size_t bytes, size_t reps) {
  weft::bench::Stopwatch watch;
  for (size_t i = 0; i < reps; ++i) {
    std::memcpy(dst, src, bytes);
    asm volatile("" : : "r"(dst) : "memory");  // keep every copy: dst is "read" after each
  }
  return watch.seconds();
}

struct Measurement {
  size_t reps;
  double secondsPerCopy;  // median over runs
};

// Doubles the repetitions until one run lasts kRunSeconds, then takes the median of the runs.
Measurement measure(char* dst, const char* src, size_t bytes, int runs) {
  size_t reps = 1;
  while (copyRun(dst, src, bytes, reps) < kRunSeconds && reps < (size_t{1} << 40)) reps *= 2;
  std::vector<double> perCopy;
  for (int r = 0; r < runs; ++r) perCopy.push_back(copyRun(dst, src, bytes, reps) / reps);
  std::nth_element(perCopy.begin(), perCopy.begin() + runs / 2, perCopy.end());
  return {reps, perCopy[runs / 2]};
}

void usage() {
  std::puts(
      "USAGE: membw [-b,--minbytes <size>] [-e,--maxbytes <size>] [-f,--stepfactor <factor>]\n"
      "             [-n,--iters <runs>] [-h,--help]\n"
      "Single-thread memcpy bandwidth on pre-faulted, reused buffers, the median of -n runs\n"
      "(default 5) per size, from -b (8) to -e (256M) times -f (4), plus 64 MiB.");
}

bool parse(int argc, char** argv, MembwOptions& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "-h" || arg == "--help") {
      usage();
      std::exit(0);
    }
    if (i + 1 >= argc) return false;
    const std::string_view value(argv[++i]);
    const auto size = weft::bench::parseSize(value);
    if (!size) return false;
    if (arg == "-b" || arg == "--minbytes") o.minBytes = std::max<size_t>(*size, 1);
    else if (arg == "-e" || arg == "--maxbytes") o.maxBytes = *size;
    else if (arg == "-f" || arg == "--stepfactor") o.factor = *size;
    else if (arg == "-n" || arg == "--iters") o.runs = static_cast<int>(*size);
    else return false;
  }
  return o.factor >= 2 && o.runs >= 1 && o.runs <= 1000 && o.minBytes <= o.maxBytes;
}

}  // namespace

int main(int argc, char** argv) {
  MembwOptions o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "membw: bad arguments (see -h)\n");
    return 2;
  }
  std::vector<size_t> sizes;
  for (size_t s = o.minBytes; s <= o.maxBytes; s *= o.factor) {
    sizes.push_back(s);
    if (s > o.maxBytes / o.factor) break;
  }
  if (sizes.back() != o.maxBytes) sizes.push_back(o.maxBytes);
  const size_t largest = std::max(o.maxBytes, kSummaryBytes);
  Buffer src = touched(largest);
  Buffer dst = touched(largest);

  std::printf("# memcpy bandwidth: one thread, pre-faulted reused buffers, median of %d runs\n#\n",
              o.runs);
  std::printf("# %10s  %12s  %10s  %6s\n", "size", "reps/run", "time", "bw");
  std::printf("# %10s  %12s  %10s  %6s\n", "(B)", "", "(ns)", "(GB/s)");
  for (size_t bytes : sizes) {
    const Measurement m = measure(dst.get(), src.get(), bytes, o.runs);
    std::printf("%12zu  %12zu  %10.1f  %6.2f\n", bytes, m.reps, m.secondsPerCopy * 1e9,
                bytes / m.secondsPerCopy / 1e9);
    std::fflush(stdout);
  }
  const Measurement summary = measure(dst.get(), src.get(), kSummaryBytes, o.runs);
  std::printf("#\n# memcpy 64 MiB single thread: %.2f GB/s\n",
              kSummaryBytes / summary.secondsPerCopy / 1e9);
  return 0;
}
