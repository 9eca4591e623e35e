// SPDX-License-Identifier: Apache-2.0
// Calls on device buffers with a stream (Note [Stream-ordered calls]), on the test device runtime
// (tests/support/fake_device.h): every collective, 1-5 thread ranks, awkward counts, in place and
// not, ordered after a "kernel" writing the input and before one reading the output, with no host
// synchronisation between; the calls return before their streams reach them
// (tests/runtime/stream_sweep.h).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "tests/runtime/stream_sweep.h"
#include "tests/support/ranks.h"

using namespace weft::test;

TEST_CASE("every collective on device buffers runs in its stream's order", "[stream]") {
  FakeDevice dev;
  const int n = GENERATE(1, 2, 3, 4, 5);
  std::vector<weft::Comm> comms = weft::Comm::initAll(n);
  std::vector<std::vector<std::string>> wrong(size_t(n), std::vector<std::string>{});
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    for (size_t count : {size_t(0), size_t(1), size_t(7), size_t(13), size_t(1031)}) {
      for (std::string& w : sweepOnStream(dev, comm.get(), rank, n, count)) wrong[size_t(rank)].push_back(std::move(w));
    }
  });
  for (int r = 0; r < n; ++r) {
    INFO("rank " << r << " of " << n);
    for (const auto& w : wrong[size_t(r)]) UNSCOPED_INFO(w);
    CHECK(wrong[size_t(r)].empty());
  }
  comms.clear();
  CHECK(dev.pinnedLive() == 0);  // destroy freed the staging
}

TEST_CASE("a large all-reduce, broadcast or reduce on a stream runs as pieces, in order", "[stream]") {
  // Note [Stream pieces]: 8 MiB pieces; this count is two and a half of them, plus a ragged end.
  FakeDevice dev;
  const size_t count = (size_t(5) << 20) + 3;  // int32: 20 MiB
  static constexpr Kind kElementwise[] = {Kind::AllReduce, Kind::Broadcast, Kind::Reduce};
  std::vector<weft::Comm> comms = weft::Comm::initAll(3);
  std::vector<std::vector<std::string>> wrong(3);
  onEachRank(comms, [&](weft::Comm& comm, int rank) { wrong[size_t(rank)] = sweepOnStream(dev, comm.get(), rank, 3, count, kElementwise); });
  for (int r = 0; r < 3; ++r) {
    INFO("rank " << r);
    for (const auto& w : wrong[size_t(r)]) UNSCOPED_INFO(w);
    CHECK(wrong[size_t(r)].empty());
  }
}
