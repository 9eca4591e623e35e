// SPDX-License-Identifier: Apache-2.0
// The flight recorder's ring: the newest calls, oldest first, their states, a stale end() ignored.
#include <catch2/catch.hpp>

#include <string>

#include "runtime/flight_recorder.h"

using weft::runtime::FlightRecorder;

namespace {

weft::coll::CollArgs call(uint64_t seq) {
  weft::coll::CollArgs a;
  a.kind = weft::coll::CollKind::AllReduce;
  a.count = 100 + seq;
  a.seq = seq;
  return a;
}

bool has(const std::string& line, const std::string& part) { return line.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("the recorder keeps the newest calls, oldest first", "[flight]") {
  FlightRecorder rec(3);
  size_t slots[6] = {};
  for (uint64_t seq = 1; seq <= 5; ++seq) {
    slots[seq] = rec.start(call(seq), "ring");
    if (seq != 5) rec.end(slots[seq], seq, seq != 4);  // #4 fails, #5 still runs
  }
  rec.end(slots[2], 2, false);  // #2's slot now holds #5: ignored
  const auto lines = rec.lines();
  REQUIRE(lines.size() == 3);
  CHECK(has(lines[0], "allreduce #3 (count=103, float, sum) by ring: done, started "));
  CHECK(has(lines[1], "allreduce #4 (count=104, float, sum) by ring: failed after "));
  CHECK(has(lines[2], "allreduce #5 (count=105, float, sum) by ring: still running after "));
}

TEST_CASE("fewer calls than the capacity", "[flight]") {
  FlightRecorder rec(16);
  rec.end(rec.start(call(1), "tree"), 1, true);
  const auto lines = rec.lines();
  REQUIRE(lines.size() == 1);
  CHECK(has(lines[0], "allreduce #1 (count=101, float, sum) by tree: done"));
}

TEST_CASE("a recorder of capacity 0 keeps nothing", "[flight]") {
  FlightRecorder rec(0);
  const size_t slot = rec.start(call(1), "ring");
  CHECK(slot == FlightRecorder::kNone);
  rec.end(slot, 1, false);
  CHECK(rec.lines().empty());
}
