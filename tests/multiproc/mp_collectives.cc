// SPDX-License-Identifier: Apache-2.0
// One rank of a real multi-process job (run under weftrun): all-reduce for every datatype and op
// and broadcast from every root, checked against exact values; exits non-zero on any mismatch.
// Buffers from weftMemAlloc where WEFT_TEST_SHARED_BUFFERS says (tests/support/buffers.h).
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "runtime/weft.h"
#include "tests/support/buffers.h"
#include "tests/support/values.h"

namespace {

using weft::test::elementSize;
using weft::test::expected;
using weft::test::input;
using weft::test::typeName;

constexpr unsigned char kSendGuard = 0x5A;  // one byte past the end of each buffer
constexpr unsigned char kRecvFill = 0xA5;

struct Job {
  weftComm_t comm = nullptr;
  int rank = 0;
  int size = 1;
  int mismatches = 0;

  // Checks a call's result; a failed call cannot be recovered from, the job is over.
  void call(weftResult_t r, const char* what) const {
    if (r == weftSuccess) return;
    std::fprintf(stderr, "mp_collectives: rank %d: %s returned %d (%s): %s\n", rank, what, int(r),
                 weftGetErrorString(r), weftGetLastError(nullptr));
    std::exit(1);
  }
  void mismatch(const std::string& what) {
    if (++mismatches <= 10) std::fprintf(stderr, "mp_collectives: rank %d of %d: %s\n", rank, size, what.c_str());
  }
};

std::string describe(const char* coll, weftDataType_t t, size_t count, const std::string& more) {
  return std::string(coll) + " " + typeName(t) + " count " + std::to_string(count) + " " + more;
}

void allReduce(Job& job, weftDataType_t t, weftRedOp_t op, size_t count, bool inPlace) {
  const size_t elem = elementSize(t);
  weft::test::TestBuffer send(count * elem + 1, 0), recv(count * elem + 1, kRecvFill);
  for (size_t i = 0; i < count; ++i) weft::test::store(t, send.data(), i, input(op, t, job.rank, i));
  send[count * elem] = kSendGuard;
  unsigned char* out = inPlace ? send.data() : recv.data();
  job.call(weftAllReduce(send.data(), out, count, t, op, job.comm, nullptr), "weftAllReduce");
  const std::string what = describe("allreduce", t, count, "op " + std::to_string(int(op)) + (inPlace ? " in place" : ""));
  for (size_t i = 0; i < count; ++i) {
    const double got = weft::test::load(t, out, i), want = expected(op, t, job.size, i);
    if (got != want) {
      job.mismatch(what + ": element " + std::to_string(i) + " is " + std::to_string(got) + ", want " + std::to_string(want));
      return;
    }
    if (!inPlace && weft::test::load(t, send.data(), i) != weft::test::wrap(t, input(op, t, job.rank, i))) {
      job.mismatch(what + ": sendbuff changed at element " + std::to_string(i));
      return;
    }
  }
  if (out[count * elem] != (inPlace ? kSendGuard : kRecvFill)) job.mismatch(what + ": wrote past the end");
}

// The root's sendbuff is separate from every recvbuff (or the same, in place); others pass NULL.
void broadcast(Job& job, weftDataType_t t, size_t count, int root, bool inPlace) {
  const size_t elem = elementSize(t);
  weft::test::TestBuffer send(count * elem + 1, 0), recv(count * elem + 1, kRecvFill);
  const bool isRoot = job.rank == root;
  for (size_t i = 0; i < count; ++i) weft::test::store(t, send.data(), i, input(weftSum, t, root, i));
  send[count * elem] = kSendGuard;
  unsigned char* out = (inPlace && isRoot) ? send.data() : recv.data();
  const void* in = isRoot ? send.data() : (inPlace ? out : nullptr);
  job.call(weftBroadcast(in, out, count, t, root, job.comm, nullptr), "weftBroadcast");
  const std::string what = describe("broadcast", t, count, "root " + std::to_string(root) + (inPlace ? " in place" : ""));
  for (size_t i = 0; i < count; ++i) {
    const double got = weft::test::load(t, out, i), want = weft::test::wrap(t, input(weftSum, t, root, i));
    if (got != want) {
      job.mismatch(what + ": element " + std::to_string(i) + " is " + std::to_string(got) + ", want " + std::to_string(want));
      return;
    }
  }
  if (out[count * elem] != (out == send.data() ? kSendGuard : kRecvFill)) job.mismatch(what + ": wrote past the end");
}

}  // namespace

int main() {
  Job job;
  job.call(weftCommInitFromEnv(&job.comm), "weftCommInitFromEnv");
  job.call(weftCommCount(job.comm, &job.size), "weftCommCount");
  job.call(weftCommUserRank(job.comm, &job.rank), "weftCommUserRank");
  weft::test::chooseBuffersFor(job.rank);
  if (const char* ws = std::getenv("WORLD_SIZE"); ws && std::atoi(ws) != job.size) {
    job.mismatch("WORLD_SIZE is " + std::string(ws) + " but the communicator has " + std::to_string(job.size) + " ranks");
  }

  for (size_t count : {size_t(0), size_t(1), size_t(7), size_t(1000)}) {
    for (auto t : weft::test::kAllTypes) {
      for (auto op : weft::test::kAllOps) {
        allReduce(job, t, op, count, false);
        allReduce(job, t, op, count, true);
      }
    }
  }
  // Many pipelined chunks, a tail that is not a multiple of anything: a few type/op pairs.
  constexpr size_t kBig = (size_t(1) << 20) + 3;
  allReduce(job, weftFloat32, weftSum, kBig, false);
  allReduce(job, weftInt64, weftMax, kBig, true);
  allReduce(job, weftBfloat16, weftAvg, kBig, false);
  allReduce(job, weftUint8, weftProd, kBig, true);

  for (int root = 0; root < job.size; ++root) {
    for (size_t count : {size_t(0), size_t(1), size_t(7), size_t(1000)}) {
      for (auto t : {weftInt8, weftFloat16, weftFloat64}) {
        broadcast(job, t, count, root, false);
        broadcast(job, t, count, root, true);
      }
    }
  }
  broadcast(job, weftInt32, kBig, job.size - 1, false);

  // Every rank learns the total, so that rank 0's summary covers the whole job.
  int total = job.mismatches;
  job.call(weftAllReduce(&total, &total, 1, weftInt32, weftSum, job.comm, nullptr), "weftAllReduce of the tally");
  job.call(weftCommDestroy(job.comm), "weftCommDestroy");
  if (job.rank == 0) std::printf("mp_collectives: %d ranks, %d mismatch(es)\n", job.size, total);
  return total == 0 ? 0 : 1;
}
