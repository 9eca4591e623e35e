// SPDX-License-Identifier: Apache-2.0
// membw: this machine's memcpy and float32-sum bandwidth (one thread by size, then all cores) and
// shared-memory latency between two processes, the yardsticks for the perf tools on one host.
#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "bench/common/flags.h"
#include "bench/membw/measure.h"
#include "bench/membw/shm_latency.h"

namespace {

using weft::bench::kKiB;
using weft::bench::kMiB;
using weft::bench::membw::Buffer;
using weft::bench::membw::Kernel;
using weft::bench::membw::measure;
using weft::bench::membw::Measurement;
using weft::bench::membw::measureTeam;
using weft::bench::membw::Operands;
using weft::bench::membw::shmOneWayLatency;
using weft::bench::membw::TeamJob;
using weft::bench::membw::touched;

struct MembwOptions {
  size_t minBytes = 8;
  size_t maxBytes = 256 * kMiB;
  size_t factor = 4;
  int runs = 5;                     // the median of this many timed runs is reported
  size_t summaryBytes = 64 * kMiB;  // the size of the summary lines, per thread
  int threads = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  bool latency = true;
  size_t latencyTrips = 100000;     // round trips per latency run
};

void usage() {
  std::puts(
      "USAGE: membw [-b,--minbytes <size>] [-e,--maxbytes <size>] [-f,--stepfactor <factor>]\n"
      "             [-n,--iters <runs>] [-s,--summary-bytes <size>] [-t,--threads <n>]\n"
      "             [--latency-trips <n>] [--no-latency] [-h,--help]\n"
      "Single-thread memcpy and float32 sum (dst = a + b; bandwidth counts dst bytes) on\n"
      "pre-faulted, reused buffers, the median of -n runs (default 5) per size, from -b (8)\n"
      "to -e (256M) times -f (4); as in the perf tools, successive calls at one size walk\n"
      "the -e buffers (the next size-long slice each time, wrapping around), so compare with\n"
      "a perf tool run with the same -e. Then, at -s (64M) per thread: one thread, and -t threads\n"
      "(default: all cores) at once (aggregate). Then the one-way latency between two\n"
      "processes through shared memory: -n runs of --latency-trips (100000) round trips.");
}

// A count from the command line; those too large for an int become INT_MAX, which parse() refuses.
int toInt(size_t value) { return static_cast<int>(std::min<size_t>(value, INT_MAX)); }

bool parse(int argc, char** argv, MembwOptions& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "-h" || arg == "--help") {
      usage();
      std::exit(0);
    }
    if (arg == "--no-latency") {
      o.latency = false;
      continue;
    }
    if (i + 1 >= argc) return false;
    const auto value = weft::bench::parseSize(argv[++i]);
    if (!value) return false;
    if (arg == "-b" || arg == "--minbytes") o.minBytes = std::max<size_t>(*value, 1);
    else if (arg == "-e" || arg == "--maxbytes") o.maxBytes = *value;
    else if (arg == "-f" || arg == "--stepfactor") o.factor = *value;
    else if (arg == "-n" || arg == "--iters") o.runs = toInt(*value);
    else if (arg == "-s" || arg == "--summary-bytes") o.summaryBytes = *value;
    else if (arg == "-t" || arg == "--threads") o.threads = toInt(*value);
    else if (arg == "--latency-trips") o.latencyTrips = *value;
    else return false;
  }
  return o.factor >= 2 && o.runs >= 1 && o.runs <= 1000 && o.minBytes <= o.maxBytes &&
         o.summaryBytes >= sizeof(float) && o.threads >= 1 && o.threads <= 4096 &&
         o.latencyTrips >= 1 && o.latencyTrips <= (size_t{1} << 32);
}

// "64 MiB", "512 KiB" or "100 B": the size in the summary lines.
std::string sizeLabel(size_t bytes) {
  if (bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " B";
}

// One table: a row per size, in the layout scripts parse (headers start with '#', rows do not).
void printTable(Kernel kernel, const Operands& operands, const std::vector<size_t>& sizes, int runs) {
  std::printf("# %10s  %12s  %10s  %6s\n", "size", "reps/run", "time", "bw");
  std::printf("# %10s  %12s  %10s  %6s\n", "(B)", "", "(ns)", "(GB/s)");
  for (size_t bytes : sizes) {
    const Measurement m = measure(kernel, operands, bytes, runs);
    std::printf("%12zu  %12zu  %10.1f  %6.2f\n", bytes, m.reps, m.secondsPerOp * 1e9,
                bytes / m.secondsPerOp / 1e9);
    std::fflush(stdout);
  }
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
  // The sum works on whole floats: each size rounded down to one, those under one float left out.
  std::vector<size_t> reduceSizes;
  for (size_t s : sizes) {
    const size_t whole = s - s % sizeof(float);
    if (whole > 0 && (reduceSizes.empty() || reduceSizes.back() != whole)) reduceSizes.push_back(whole);
  }
  const size_t summary = o.summaryBytes - o.summaryBytes % sizeof(float);
  const std::string label = sizeLabel(summary);

  Measurement copyOne{}, reduceOne{};
  {
    const size_t largest = std::max(o.maxBytes, summary);
    Buffer a = touched(largest), b = touched(largest), dst = touched(largest);
    // The tables walk the -e buffers as the perf tools do; the summary reuses its bytes, as the
    // team's threads do, so that one thread and the team are measured alike.
    const Operands operands{dst.get(), a.get(), b.get(), o.maxBytes};
    const Operands summaryOperands{dst.get(), a.get(), b.get()};
    std::printf("# memcpy bandwidth: one thread, pre-faulted reused buffers, median of %d runs\n#\n",
                o.runs);
    printTable(Kernel::Copy, operands, sizes, o.runs);
    std::printf("#\n# reduce bandwidth: float32 dst[i] = a[i] + b[i], one thread, pre-faulted reused"
                " buffers, median of %d runs; bw = dst bytes / time\n#\n", o.runs);
    printTable(Kernel::Reduce, operands, reduceSizes, o.runs);
    copyOne = measure(Kernel::Copy, summaryOperands, summary, o.runs);
    reduceOne = measure(Kernel::Reduce, summaryOperands, summary, o.runs);
  }  // freed before the team allocates its own
  std::printf("#\n# memcpy %s single thread: %.2f GB/s\n", label.c_str(),
              summary / copyOne.secondsPerOp / 1e9);
  std::printf("# reduce %s single thread: %.2f GB/s\n", label.c_str(),
              summary / reduceOne.secondsPerOp / 1e9);
  std::fflush(stdout);

  int status = 0;
  // Each thread repeats its kernel as often as one thread alone needed for a 5 ms run; sharing the
  // memory bus only makes a run longer.
  const TeamJob jobs[] = {{Kernel::Copy, copyOne.reps}, {Kernel::Reduce, reduceOne.reps}};
  if (const auto team = measureTeam(jobs, o.threads, summary, o.runs)) {
    const double total = static_cast<double>(summary) * o.threads;
    std::printf("# memcpy %s, %d threads: %.2f GB/s (aggregate)\n", label.c_str(), o.threads,
                total / (*team)[0] / 1e9);
    std::printf("# reduce %s, %d threads: %.2f GB/s (aggregate)\n", label.c_str(), o.threads,
                total / (*team)[1] / 1e9);
  } else {
    status = 1;
  }
  std::fflush(stdout);

  if (o.latency) {
    if (const auto oneWay = shmOneWayLatency(o.latencyTrips, o.runs)) {
      std::printf("# shm one-way latency: %.1f ns (median of %d runs of %zu round trips)\n",
                  *oneWay * 1e9, o.runs, o.latencyTrips);
    } else {
      status = 1;
    }
  }
  return status;
}
