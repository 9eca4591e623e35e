// SPDX-License-Identifier: Apache-2.0
// Renders the -J report: nccl-tests' keys (config, devices, results, out_of_bounds, average_bus_bandwidth) plus weft's own.
#include "bench/common/report.h"

#include <ctime>

#include "bench/common/dtype.h"
#include "bench/common/json.h"

namespace weft::bench {
namespace {

// Version of this document's layout; raised when a key changes meaning or goes away.
constexpr int kReportVersion = 1;

constexpr const char* kAverageNames[] = {"rank0", "mean", "min", "max"};

void writeConfig(JsonWriter& json, const RunRecord& run) {
  const Options& o = run.options;
  json.key("config").beginObject();
  json.key("collective").string(run.collective);
  json.key("ranks").integer(run.ranks);
  json.key("host").string(run.devices.empty() ? "" : run.devices.front().host);
  json.key("nthreads").integer(o.nThreads);
  json.key("ngpus").integer(o.nGpus);
  json.key("minimum_bytes").unsignedInteger(o.minBytes);
  json.key("maximum_bytes").unsignedInteger(o.maxBytes);
  if (o.stepFactor > 1) {
    json.key("step_factor").unsignedInteger(o.stepFactor);
  } else {
    json.key("step_bytes").unsignedInteger(o.stepBytes);
  }
  json.key("warmup_iters").integer(o.warmupIters);
  json.key("iterations").integer(o.iters);
  json.key("aggregated_iterations").integer(o.aggIters);
  json.key("validation").integer(o.check);
  json.key("graph").integer(0);
  json.key("blocking_collectives").boolean(o.blocking);
  json.key("average").string(kAverageNames[static_cast<int>(o.average)]);
  json.key("datatypes").beginArray();
  for (weftDataType_t t : o.types) json.string(typeName(t));
  json.endArray();
  json.key("ops").beginArray();
  for (weftRedOp_t op : o.ops) json.string(opName(op));
  json.endArray();
  if (o.root == kAllRoots) {
    json.key("root").string("all");
  } else {
    json.key("root").integer(o.root);
  }
  if (o.algorithm.empty()) {
    json.key("algorithm").null();
  } else {
    json.key("algorithm").string(o.algorithm);
  }
  json.key("stats").boolean(o.stats);
  json.key("shared_buffers").boolean(o.sharedBuffers);
  json.key("mem").string(o.memory == Memory::Cuda ? "cuda" : "host");
  json.endObject();
}

void writeGroup(JsonWriter& json, const char* name, const std::optional<GroupResult>& group) {
  json.key(name);
  if (!group) {
    json.null();
    return;
  }
  json.beginObject();
  json.key("time").number(group->timeUs);
  json.key("alg_bw").number(group->algbw);
  json.key("bus_bw").number(group->busbw);
  json.key("nwrong");
  if (group->wrong) {
    json.integer(*group->wrong);
  } else {
    json.null();
  }
  if (group->stats) {
    json.key("time_stats").beginObject();
    json.key("min").number(group->stats->min);
    json.key("p50").number(group->stats->p50);
    json.key("p99").number(group->stats->p99);
    json.key("max").number(group->stats->max);
    json.endObject();
  }
  json.endObject();
}

}  // namespace

std::string reportJson(const RunRecord& run) {
  JsonWriter json;
  json.beginObject();
  json.key("version").integer(kReportVersion);
  json.key("program").string(run.program);
  json.key("start_time").string(run.startTime);
  json.key("args").beginArray();
  for (const std::string& arg : run.options.commandLine) json.string(arg);
  json.endArray();
  writeConfig(json, run);

  json.key("devices").beginArray();
  for (const DeviceRecord& d : run.devices) {
    json.beginObject();
    json.key("rank").integer(d.rank);
    json.key("group").integer(0);
    json.key("pid").integer(d.pid);
    json.key("hostname").string(d.host);
    json.key("device").string("cpu");
    json.endObject();
  }
  json.endArray();

  json.key("results").beginArray();
  for (const RowRecord& row : run.rows) {
    json.beginObject();
    json.key("size").unsignedInteger(row.bytes);
    json.key("count").unsignedInteger(row.count);
    json.key("type").string(row.type);
    json.key("redop").string(row.redop);
    json.key("root").integer(row.root);
    writeGroup(json, "out_of_place", row.outOfPlace);
    writeGroup(json, "in_place", row.inPlace);
    json.endObject();
  }
  json.endArray();

  json.key("out_of_bounds").beginObject();
  json.key("count").integer(run.outOfBounds);
  json.key("okay").boolean(run.outOfBounds == 0);
  json.endObject();
  json.key("average_bus_bandwidth").beginObject();
  json.key("bandwidth").number(run.avgBusBw);
  json.endObject();
  json.key("end_time").string(run.endTime);
  json.endObject();
  return json.str();
}

std::string utcNow() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return text;
}

}  // namespace weft::bench
