// SPDX-License-Identifier: Apache-2.0
// The -J report: what rank 0 records of a run (parameters, devices, one record per row, footer) and its JSON form.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "bench/common/flags.h"
#include "bench/common/stats.h"

namespace weft::bench {

// One out-of-place or in-place group of a row: the table's four columns, and the -s statistics.
struct GroupResult {
  double timeUs = 0;
  double algbw = 0;  // GB/s
  double busbw = 0;  // GB/s
  std::optional<int64_t> wrong;          // nullopt: not checked ("N/A")
  std::optional<IterationStats> stats;   // microseconds; only with -s
};

// One row of the table.
struct RowRecord {
  size_t bytes = 0;
  size_t count = 0;
  std::string type;   // "float", or "none"
  std::string redop;  // "sum", or "none"
  int root = -1;
  std::optional<GroupResult> outOfPlace;
  std::optional<GroupResult> inPlace;  // nullopt: not run (all four columns "N/A")
};

struct DeviceRecord {
  int rank = 0;
  long pid = 0;
  std::string host;
};

struct RunRecord {
  std::string program;     // "all_reduce_perf"
  std::string collective;  // "AllReduce"
  int ranks = 1;
  Options options;         // the flags; options.commandLine is the "args" list
  std::string startTime;   // UTC, ISO 8601
  std::string endTime;
  std::vector<DeviceRecord> devices;  // in rank order; devices[0].host is the run's "host"
  std::vector<RowRecord> rows;
  int64_t outOfBounds = 0;
  double avgBusBw = 0;
};

// The report as a JSON document (format in docs/bench.md, in the shape of nccl-tests' -J output).
std::string reportJson(const RunRecord& run);

// The current time, UTC, as "2026-01-31T12:00:00Z".
std::string utcNow();

}  // namespace weft::bench
