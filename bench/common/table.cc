// SPDX-License-Identifier: Apache-2.0
// Formats the perf tools' output with printf widths that line up with nccl-tests' columns.
#include "bench/common/table.h"

#include <cstdarg>
#include <cstdio>

namespace weft::bench {
namespace {

__attribute__((format(printf, 1, 2))) std::string format(const char* fmt, ...) {
  va_list args;
  va_start(args, fmt);
  va_list again;
  va_copy(again, args);
  const int n = std::vsnprintf(nullptr, 0, fmt, args);
  va_end(args);
  std::string out(n > 0 ? static_cast<size_t>(n) : 0, '\0');
  if (n > 0) std::vsnprintf(out.data(), out.size() + 1, fmt, again);
  va_end(again);
  return out;
}

// Widths shared by the header and the rows. A row's prefix is "%12zu  %12zu  %8s  %6s  %6d" and
// the header's "# %10s  ..." puts its labels right-aligned over the same columns.
constexpr int kSizeW = 10, kCountW = 12, kTypeW = 8, kOpW = 6, kRootW = 6;
constexpr int kTimeW = 7, kBwW = 6, kWrongW = 5;
// "  time  algbw  busbw  #wrong" groups are this wide.
constexpr int kGroupW = 2 + kTimeW + 2 + kBwW + 2 + kBwW + 2 + kWrongW;
// The -s table's "  min  p50  p99  max" groups.
constexpr int kStatsGroupW = 4 * (2 + kTimeW);

std::string centered(std::string_view label, int width) {
  const int left = (width - static_cast<int>(label.size()) + 2) / 2;
  const int right = width - left - static_cast<int>(label.size());
  return std::string(static_cast<size_t>(left), ' ') + std::string(label) +
         std::string(static_cast<size_t>(right > 0 ? right : 0), ' ');
}

}  // namespace

std::string parameterLine(const Options& o) {
  const bool factor = o.stepFactor > 1;
  std::string line = format(
      "# nThread %d nGpus %d minBytes %zu maxBytes %zu step: %zu(%s) warmup iters: %d iters: %d "
      "agg iters: %d validation: %d graph: 0\n",
      o.nThreads, o.nGpus, o.minBytes, o.maxBytes, factor ? o.stepFactor : o.stepBytes,
      factor ? "factor" : "bytes", o.warmupIters, o.iters, o.aggIters, o.check);
  if (o.algorithm.empty()) return line;
  line.pop_back();  // the '\n'
  return line + " algorithm: " + o.algorithm + "\n";
}

std::string deviceLine(int rank, long pid, std::string_view host) {
  return format("#  Rank %2d Group  0 Pid %6ld on %10.*s device cpu\n", rank, pid,
                static_cast<int>(host.size()), host.data());
}

std::string headerLines() {
  const std::string lead =
      format("# %*s  %*s  %*s  %*s  %*s", kSizeW, "", kCountW, "", kTypeW, "", kOpW, "", kRootW, "");
  std::string text = lead + centered("out-of-place", kGroupW) + centered("in-place", kGroupW);
  while (!text.empty() && text.back() == ' ') text.pop_back();
  text += '\n';
  const auto names = [](const char* s, const char* c, const char* t, const char* r, const char* o,
                        const char* time, const char* alg, const char* bus, const char* wrong) {
    // "#wrong" is one wider than its column: it takes one space of the gap, as in nccl-tests.
    const std::string group = format("  %*s  %*s  %*s %*s", kTimeW, time, kBwW, alg, kBwW, bus,
                                     kWrongW + 1, wrong);
    return format("# %*s  %*s  %*s  %*s  %*s", kSizeW, s, kCountW, c, kTypeW, t, kOpW, r, kRootW,
                  o) + group + group;
  };
  std::string labels = names("size", "count", "type", "redop", "root", "time", "algbw", "busbw",
                             "#wrong");
  std::string units = names("(B)", "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "");
  for (std::string* line : {&labels, &units}) {
    while (!line->empty() && line->back() == ' ') line->pop_back();
    *line += '\n';
  }
  return text + labels + units;
}

std::string rowPrefix(size_t bytes, size_t count, std::string_view type, std::string_view op,
                      int root) {
  return format("%*zu  %*zu  %*.*s  %*.*s  %*d", kSizeW + 2, bytes, kCountW, count, kTypeW,
                static_cast<int>(type.size()), type.data(), kOpW, static_cast<int>(op.size()),
                op.data(), kRootW, root);
}

std::string formatTime(double us) {
  if (us >= 10000.0) return format("%*.0f", kTimeW, us);
  if (us >= 100.0) return format("%*.1f", kTimeW, us);
  return format("%*.2f", kTimeW, us);
}

std::string resultCell(double us, double algbw, double busbw, std::optional<int64_t> wrong) {
  const std::string head = "  " + formatTime(us) + format("  %*.2f  %*.2f", kBwW, algbw, kBwW, busbw);
  if (!wrong) return head + format("  %*s", kWrongW, "N/A");
  return head + format("  %*g", kWrongW, static_cast<double>(*wrong));
}

std::string unmeasuredCell() {
  return format("  %*s  %*s  %*s  %*s", kTimeW, "N/A", kBwW, "N/A", kBwW, "N/A", kWrongW, "N/A");
}

std::string statsHeaderLines(int iters, Average average) {
  static constexpr const char* kOverRanks[] = {"rank 0's", "the mean over ranks of", "the min over ranks of",
                                               "the max over ranks of"};
  const std::string lead = format("# %*s  %*s  %*s  %*s  %*s", kSizeW, "", kCountW, "", kTypeW, "",
                                  kOpW, "", kRootW, "");
  std::string title = format("#\n# Per-iteration time (us): min, p50, p99, max of %d iterations, each %s "
                             "its time per operation\n",
                             iters, kOverRanks[static_cast<int>(average)]);
  std::string groups = lead + centered("out-of-place", kStatsGroupW) + centered("in-place", kStatsGroupW);
  std::string names = format("# %*s  %*s  %*s  %*s  %*s", kSizeW, "size", kCountW, "count", kTypeW,
                             "type", kOpW, "redop", kRootW, "root");
  for (int g = 0; g < 2; ++g) {
    names += format("  %*s  %*s  %*s  %*s", kTimeW, "min", kTimeW, "p50", kTimeW, "p99", kTimeW, "max");
  }
  for (std::string* line : {&groups, &names}) {
    while (!line->empty() && line->back() == ' ') line->pop_back();
    *line += '\n';
  }
  return title + groups + names;
}

std::string statsRow(size_t bytes, size_t count, std::string_view type, std::string_view op,
                     int root, const std::optional<IterationStats>& outOfPlace,
                     const std::optional<IterationStats>& inPlace) {
  std::string row = format("# %*zu  %*zu  %*.*s  %*.*s  %*d", kSizeW, bytes, kCountW, count, kTypeW,
                           static_cast<int>(type.size()), type.data(), kOpW,
                           static_cast<int>(op.size()), op.data(), kRootW, root);
  for (const auto* group : {&outOfPlace, &inPlace}) {
    if (!*group) {
      row += format("  %*s  %*s  %*s  %*s", kTimeW, "N/A", kTimeW, "N/A", kTimeW, "N/A", kTimeW, "N/A");
      continue;
    }
    for (double us : {(*group)->min, (*group)->p50, (*group)->p99, (*group)->max}) {
      row += "  " + formatTime(us);
    }
  }
  return row + "\n";
}

std::string footerLines(int64_t outOfBounds, double avgBusBw) {
  return format("# Out of bounds values : %lld %s\n", static_cast<long long>(outOfBounds),
                outOfBounds != 0 ? "FAILED" : "OK") +
         format("# Avg bus bandwidth    : %g\n", avgBusBw) + "#\n";
}

}  // namespace weft::bench
