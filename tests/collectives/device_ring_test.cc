// SPDX-License-Identifier: Apache-2.0
// The device ring's and tree's schedules (Note [Device ring]) run by host threads, one per rank,
// over workspaces in host memory: every datatype and op, rank counts 1-8, awkward counts, in
// place and not, both shapes interleaved, several geometries (tiny slots wrap the FIFOs many times
// per call), calls back to back with the counters carried on as the communicator carries them
// (PortTotals), each slot stamped with its call's signature and checked; a slot of another
// call, reported; and the abort word.
#include <catch2/catch.hpp>

#include <array>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "collectives/device/port_totals.h"
#include "collectives/device/ring_host.h"
#include "collectives/signature.h"
#include "tests/support/values.h"

using namespace weft::coll::devring;
using weft::test::expected;
using weft::test::input;

namespace {

struct Call {
  RingKind kind;
  Shape shape;
  weftDataType_t type;
  weftRedOp_t op;
  size_t count;
  bool inPlace;
  int root;
};

// n ranks' workspaces and the table every rank reads (all in one address space here).
struct Ring {
  Geometry geo;
  std::vector<std::unique_ptr<unsigned char, decltype(&std::free)>> ws;
  LinkTable table{};
  uint32_t abort = 0;
  std::vector<std::array<MismatchReport, kMaxChannels>> reports;  // each rank's

  Ring(int n, Geometry g) : geo(g), reports(size_t(n)) {
    const size_t bytes = workspaceBytes(g);
    for (int r = 0; r < n; ++r) {
      ws.emplace_back(static_cast<unsigned char*>(std::aligned_alloc(128, (bytes + 127) / 128 * 128)), &std::free);
      std::memset(ws.back().get(), 0, bytes);
      table.ws[r] = ws.back().get();
    }
    table.state = LinkTable::Ready;
  }
};

unsigned char* identity(const void* p) { return static_cast<unsigned char*>(const_cast<void*>(p)); }

// The signature of call `number` (Note [Signatures]), as the communicator stamps it.
void stamp(RingJob& j, uint32_t number) {
  weft::coll::CollArgs a;
  a.kind = j.kind == RingKind::AllReduce ? weft::coll::CollKind::AllReduce : weft::coll::CollKind::Broadcast;
  a.dtype = weft::coll::DataType(j.dtype);
  a.op = weft::coll::ReduceOp(j.op);
  a.count = j.count;
  a.root = j.root;
  const weft::transport::Stamp s = weft::coll::stampOf(a, j.rank, number);
  j.stamp[0] = s.lo;
  j.stamp[1] = s.hi;
  j.check = 1;
}

// Rank `rank` runs every call in order; returns its first wrong result ("" when none).
std::string runRank(Ring& ring, int rank, int n, const std::vector<Call>& calls) {
  PortTotals totals(n);
  uint32_t number = 0;
  for (const Call& c : calls) {
    const size_t es = weft::test::elementSize(c.type);
    std::vector<unsigned char> send(c.count * es + 16), recv(c.count * es + 16, 0xA5);
    const weftRedOp_t valuesOp = c.kind == RingKind::AllReduce ? c.op : weftSum;
    for (size_t i = 0; i < c.count; ++i) weft::test::store(c.type, send.data(), i, input(valuesOp, c.type, rank, i));
    RingJob j{};
    j.kind = c.kind;
    j.shape = c.shape;
    j.rank = rank;
    j.size = n;
    j.root = c.root;
    j.dtype = int(c.type);
    j.op = int(c.op);
    j.elemSize = uint32_t(es);
    j.send = send.data();
    j.recv = c.inPlace ? send.data() : recv.data();
    j.count = c.count;
    j.table = &ring.table;
    j.abort = &ring.abort;
    j.reports = ring.reports[size_t(rank)].data();
    j.geo = ring.geo;
    stamp(j, ++number);
    totals.fill(j);
    if (!runOnHost(j, identity)) return "rank " + std::to_string(rank) + ": stopped early";
    totals.advance(j);
    const auto* out = static_cast<const unsigned char*>(j.recv);
    for (size_t i = 0; i < c.count; ++i) {
      const double want = c.kind == RingKind::AllReduce ? expected(c.op, c.type, n, i)
                                                        : weft::test::wrap(c.type, input(weftSum, c.type, c.root, i));
      const double have = weft::test::load(c.type, out, i);
      if (have != want) {
        return "rank " + std::to_string(rank) + ": " + (c.shape == Shape::Tree ? "tree " : "ring ") +
               (c.kind == RingKind::AllReduce ? "allreduce " : "broadcast ") +
               weft::test::typeName(c.type) + " op " + std::to_string(int(c.op)) + " count " +
               std::to_string(c.count) + (c.inPlace ? " in place" : "") + ": element " + std::to_string(i) + " is " +
               std::to_string(have) + ", want " + std::to_string(want);
      }
    }
    if (!c.inPlace && recv[c.count * es] != 0xA5) return "rank " + std::to_string(rank) + ": wrote past recvbuff";
  }
  return {};
}

std::vector<std::string> runAll(int n, Geometry geo, const std::vector<Call>& calls) {
  Ring ring(n, geo);
  std::vector<std::string> errors(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) threads.emplace_back([&, r] { errors[size_t(r)] = runRank(ring, r, n, calls); });
  for (auto& t : threads) t.join();
  return errors;
}

}  // namespace

TEST_CASE("device ring: every datatype, op, rank count and awkward count") {
  const Geometry geo = GENERATE(Geometry{3, 2, 64}, Geometry{1, 4, 256}, Geometry{32, 8, 4096});
  const int n = GENERATE(1, 2, 3, 5, 8);
  // Ring and tree calls interleaved: each port's counters carry on whichever shape wrote it last.
  std::vector<Call> calls;
  for (size_t count : {size_t(0), size_t(1), size_t(7), size_t(13), size_t(1031)}) {
    for (bool inPlace : {false, true}) {
      for (weftDataType_t t : weft::test::kAllTypes) {
        for (weftRedOp_t op : weft::test::kAllOps) {
          for (Shape shape : {Shape::Ring, Shape::Tree}) calls.push_back({RingKind::AllReduce, shape, t, op, count, inPlace, 0});
        }
        for (Shape shape : {Shape::Ring, Shape::Tree}) {
          calls.push_back({RingKind::Broadcast, shape, t, weftSum, count, inPlace, (n - 1) * int(count % 2)});
          calls.push_back({RingKind::Broadcast, shape, t, weftSum, count, inPlace, n / 2});
        }
      }
    }
  }
  CAPTURE(n, geo.channels, geo.slots, geo.slotBytes);
  for (const std::string& e : runAll(n, geo, calls)) CHECK(e == "");
}

TEST_CASE("device ring: large calls wrap the FIFOs, back to back") {
  const int n = GENERATE(2, 3, 4, 7);
  std::vector<Call> calls;
  for (size_t count : {size_t(100003), size_t(65536), size_t(4099)}) {
    for (Shape shape : {Shape::Ring, Shape::Tree}) {
      calls.push_back({RingKind::AllReduce, shape, weftFloat32, weftSum, count, false, 0});
      calls.push_back({RingKind::Broadcast, shape, weftInt32, weftSum, count, true, 1 % n});
      calls.push_back({RingKind::AllReduce, shape, weftBfloat16, weftAvg, count, true, 0});
    }
  }
  CAPTURE(n);
  for (const std::string& e : runAll(n, Geometry{4, 4, 1024}, calls)) CHECK(e == "");
}

TEST_CASE("device ring: the abort word ends a call whose peer never comes") {
  Ring ring(2, Geometry{2, 2, 64});
  std::vector<int32_t> buf(1000, 1);
  RingJob j{};
  j.kind = RingKind::AllReduce;
  j.shape = GENERATE(Shape::Ring, Shape::Tree);
  j.rank = 0;
  j.size = 2;
  j.dtype = int(weftInt32);
  j.op = int(weftSum);
  j.elemSize = 4;
  j.send = j.recv = buf.data();
  j.count = buf.size();
  j.table = &ring.table;
  j.abort = &ring.abort;
  j.reports = ring.reports[0].data();
  j.geo = ring.geo;
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::atomic_ref<uint32_t>(ring.abort).store(1);
  });
  CHECK_FALSE(runOnHost(j, identity));
  stopper.join();
  // A link that never came up: nothing runs.
  ring.abort = 0;
  ring.table.state = LinkTable::Failed;
  CHECK_FALSE(runOnHost(j, identity));
}

TEST_CASE("device ring: a slot of another call stops its reader, which reports both signatures") {
  // Rank 1 calls max where the others call sum: the same slots, so without the check the call
  // would end with mixed results and no word.
  const Shape shape = GENERATE(Shape::Ring, Shape::Tree);
  const int n = 3;
  Ring ring(n, Geometry{2, 4, 256});
  std::vector<RingJob> jobs(n);
  std::vector<std::vector<int32_t>> bufs(n, std::vector<int32_t>(1031, 1));
  std::vector<int> finished(n);  // not vector<bool>: the threads write it at once
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    RingJob& j = jobs[size_t(r)];
    j.kind = RingKind::AllReduce;
    j.shape = shape;
    j.rank = r;
    j.size = n;
    j.dtype = int(weftInt32);
    j.op = int(r == 1 ? weftMax : weftSum);
    j.elemSize = 4;
    j.send = j.recv = bufs[size_t(r)].data();
    j.count = bufs[size_t(r)].size();
    j.table = &ring.table;
    j.abort = &ring.abort;
    j.reports = ring.reports[size_t(r)].data();
    j.geo = ring.geo;
    stamp(j, 1);
    PortTotals(n).fill(j);
    threads.emplace_back([&, r] { finished[size_t(r)] = runOnHost(jobs[size_t(r)], identity); });
  }
  for (auto& t : threads) t.join();
  CAPTURE(shape == Shape::Ring ? "ring" : "tree");
  for (int r = 0; r < n; ++r) CHECK(!finished[size_t(r)]);  // the report set the (shared) abort word
  const uint64_t* sum = jobs[0].stamp;
  const uint64_t* max = jobs[1].stamp;
  int posted = 0;
  for (int r = 0; r < n; ++r) {
    for (const MismatchReport& m : ring.reports[size_t(r)]) {
      if (m.posted == 0) continue;
      ++posted;
      INFO("rank " << r << "'s report on rank " << m.from);
      // Either a slot of rank 1 read by a rank that called sum, or rank 1 reading another's slot.
      const bool ofRank1 = m.from == 1 && m.got[0] == max[0] && m.got[1] == max[1] && m.want[0] == sum[0] &&
                           m.want[1] == sum[1];
      const bool byRank1 = m.from != 1 && m.got[0] == sum[0] && m.got[1] == sum[1] && m.want[0] == max[0] &&
                           m.want[1] == max[1];
      CHECK((ofRank1 || byRank1));
      CHECK((r == 1) == byRank1);
    }
  }
  CHECK(posted > 0);
}
