// SPDX-License-Identifier: Apache-2.0
// The text the perf tools print: parameter line, device block, two-row header, result rows and footer, in nccl-tests' layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "bench/common/flags.h"
#include "bench/common/stats.h"

namespace weft::bench {

// "# nThread 1 nGpus 1 minBytes 8 maxBytes 67108864 step: 4(factor) warmup iters: 5 ...", with
// " algorithm: NAME" at the end when -A forces one.
std::string parameterLine(const Options& options);

// One line of the "# Using devices" block for a rank (host ranks show "cpu").
std::string deviceLine(int rank, long pid, std::string_view host);

// The group line and the two column-name lines, each ending in '\n'.
std::string headerLines();

// The first five columns of a row: size (B), count (elements), type, redop, root.
std::string rowPrefix(size_t bytes, size_t count, std::string_view type, std::string_view op,
                      int root);

// One out-of-place or in-place group: time (us), algbw, busbw (GB/s), #wrong ("N/A" when the run
// was not checked).
std::string resultCell(double microseconds, double algbw, double busbw,
                       std::optional<int64_t> wrong);

// A group that was not measured (an in-place group of a collective without an in-place form):
// "N/A" in each of the four columns, so that every row keeps the same number of fields.
std::string unmeasuredCell();

// The time column: 2 decimals below 100 us, 1 below 10 ms, none above, 7 wide.
std::string formatTime(double microseconds);

// The -s table's title and column names (every line starts with '#', so that scripts reading
// nccl-tests' rows skip them): min, p50, p99 and max of `iters` per-iteration times, each
// combined over ranks as `average` says.
std::string statsHeaderLines(int iters, Average average);

// One row of the -s table: "#", the row's first five columns, then min/p50/p99/max of the
// out-of-place and the in-place group in microseconds; "N/A" for a group that was not measured.
std::string statsRow(size_t bytes, size_t count, std::string_view type, std::string_view op,
                     int root, const std::optional<IterationStats>& outOfPlace,
                     const std::optional<IterationStats>& inPlace);

// "# Out of bounds values : N OK|FAILED", "# Avg bus bandwidth    : X", "#".
std::string footerLines(int64_t outOfBounds, double avgBusBw);

}  // namespace weft::bench
