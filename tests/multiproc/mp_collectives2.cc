// SPDX-License-Identifier: Apache-2.0
// One rank of a real multi-process job (run under weftrun) for the newer calls: reduce,
// all-gather, reduce-scatter, all-to-all, scatter, gather (two datatypes each, every root, in
// place and not), send/recv around a ring, and barriers whose ordering is checked on the clock.
// Exits non-zero on any mismatch.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "tests/collectives/rank_checks.h"
#include "tests/support/buffers.h"

namespace {

using weft::test::Case;
using weft::test::CheckFn;

constexpr size_t kBig = (size_t(1) << 20) + 3;

struct Job {
  weft::Comm comm;
  int rank = 0;
  int size = 1;
  int mismatches = 0;

  void report(const std::string& err) {
    if (err.empty()) return;
    if (++mismatches <= 10) std::fprintf(stderr, "mp_collectives2: %s\n", err.c_str());
  }
};

struct Collective {
  CheckFn check;
  weftDataType_t types[2];
  weftRedOp_t ops[2];  // paired with types (reductions)
  bool rooted;
  bool inPlace;
};

// Counts 1 and 1000, both datatypes, both layouts where there are two, every root; then one
// call of a million and three elements.
void sweep(Job& job, const Collective& coll) {
  for (int root = 0; root < (coll.rooted ? job.size : 1); ++root) {
    for (size_t count : {size_t(1), size_t(1000)}) {
      for (int k = 0; k < 2; ++k) {
        for (bool inPlace : {false, true}) {
          if (inPlace && !coll.inPlace) continue;
          job.report(coll.check(job.comm, Case{coll.types[k], coll.ops[k], count, root, inPlace}));
        }
      }
    }
  }
  job.report(coll.check(job.comm, Case{coll.types[0], coll.ops[0], kBig, job.size - 1, false}));
  if (coll.inPlace) job.report(coll.check(job.comm, Case{coll.types[1], coll.ops[1], kBig, 0, true}));
}

int64_t nowNs() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);  // one clock for every process of the host
  return int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// Each round one rank arrives 20 ms late; nobody may leave before the last one arrived.
void barriers(Job& job) {
  for (int round = 0; round < 2 * job.size; ++round) {
    if (round % job.size == job.rank) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    int64_t mine[2];
    mine[0] = nowNs();
    job.comm.barrier();
    mine[1] = nowNs();
    std::vector<int64_t> all(size_t(2 * job.size));
    job.comm.allGather(mine, all.data(), 2, weftInt64);
    int64_t lastIn = 0, firstOut = INT64_MAX;
    for (int r = 0; r < job.size; ++r) {
      lastIn = std::max(lastIn, all[size_t(2 * r)]);
      firstOut = std::min(firstOut, all[size_t(2 * r + 1)]);
    }
    if (firstOut < lastIn) {
      job.report("barrier round " + std::to_string(round) + ": a rank left " + std::to_string(lastIn - firstOut) +
                 " ns before the last one arrived");
    }
  }
  for (int i = 0; i < 200; ++i) job.comm.barrier();  // many in a row, none lost or merged
}

int run(Job& job) {
  const Collective all[] = {
      {weft::test::checkReduce, {weftFloat32, weftInt64}, {weftSum, weftMax}, true, true},
      {weft::test::checkAllGather, {weftUint8, weftFloat64}, {weftSum, weftSum}, false, true},
      {weft::test::checkReduceScatter, {weftBfloat16, weftInt32}, {weftAvg, weftProd}, false, true},
      {weft::test::checkAllToAll, {weftInt8, weftFloat32}, {weftSum, weftSum}, false, false},
      {weft::test::checkScatter, {weftFloat16, weftUint64}, {weftSum, weftSum}, true, true},
      {weft::test::checkGather, {weftInt32, weftFloat64}, {weftSum, weftSum}, true, true},
      {weft::test::checkSendRecvRing, {weftUint32, weftInt8}, {weftSum, weftSum}, false, false},
  };
  for (const Collective& coll : all) {
    if (coll.check == weft::test::checkSendRecvRing && job.size < 2) continue;
    sweep(job, coll);
  }
  barriers(job);

  // Every rank learns the total, so that rank 0's summary covers the whole job.
  int total = job.mismatches;
  job.comm.allReduce(&total, &total, 1, weftInt32, weftSum);
  if (job.rank == 0) std::printf("mp_collectives2: %d ranks, %d mismatch(es)\n", job.size, total);
  return total == 0 ? 0 : 1;
}

}  // namespace

int main() {
  try {
    Job job{weft::Comm::fromEnv()};
    job.rank = job.comm.rank();
    job.size = job.comm.size();
    weft::test::chooseBuffersFor(job.rank);
    return run(job);
  } catch (const weft::Error& e) {
    // A failed call cannot be recovered from: the job is over.
    std::fprintf(stderr, "mp_collectives2: %s\n", e.what());
    return 1;
  }
}
