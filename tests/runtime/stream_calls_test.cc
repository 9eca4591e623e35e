// SPDX-License-Identifier: Apache-2.0
// Calls on device buffers with a stream (Note [Stream-ordered calls]), on the test device runtime
// (tests/support/fake_device.h): every collective, 1-5 thread ranks, awkward counts, in place and
// not, ordered after a "kernel" writing the input and before one reading the output, with no host
// synchronisation between; the calls return before their streams reach them.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "tests/runtime/stream_cases.h"
#include "tests/support/fake_device.h"
#include "tests/support/ranks.h"

using namespace weft::test;

namespace {

// One call of one rank: its device buffers and what the stream read back after it.
struct Issued {
  Kind kind = Kind::AllReduce;
  bool inPlace = false;
  void* send = nullptr;
  void* recv = nullptr;
  void* owned[2] = {nullptr, nullptr};
  std::vector<int32_t> got;
};

}  // namespace

TEST_CASE("every collective on device buffers runs in its stream's order", "[stream]") {
  FakeDevice dev;
  const int n = GENERATE(1, 2, 3, 4, 5);
  std::vector<weft::Comm> comms = weft::Comm::initAll(n);
  std::vector<std::vector<std::string>> wrong(size_t(n), std::vector<std::string>{});
  std::atomic<int> lateStarts{0};
  onEachRank(comms, [&](weft::Comm& comm, int rank) {
    FakeStream stream;
    for (size_t count : {size_t(0), size_t(1), size_t(7), size_t(13), size_t(1031)}) {
      // The first kernel holds the stream until every call is issued: a call that waited for its
      // stream would never return.
      std::atomic<bool> issued{false};
      stream.enqueue([&] {
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (!issued.load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(1));
        if (!issued.load()) lateStarts.fetch_add(1);
      });
      std::vector<Issued> calls;
      for (Kind kind : kKinds) {
        for (bool inPlace : {false, true}) {
          if (inPlace && !hasInPlace(kind)) continue;
          if (kind == Kind::SendRecv && n == 1) continue;  // no peer but itself
          const Layout l = layout(kind, rank, n, count, inPlace);
          Issued& c = calls.emplace_back();
          c.kind = kind;
          c.inPlace = inPlace;
          c.got.resize(l.outElems);
          if (inPlace) {
            const size_t total = std::max(l.sendAt + l.inElems, l.recvAt + l.outElems);
            c.owned[0] = dev.malloc(std::max<size_t>(total, 1) * 4);
            c.send = static_cast<int32_t*>(c.owned[0]) + l.sendAt;
            c.recv = static_cast<int32_t*>(c.owned[0]) + l.recvAt;
          } else {
            c.owned[0] = c.send = dev.malloc(std::max<size_t>(l.inElems, 1) * 4);
            c.owned[1] = c.recv = dev.malloc(std::max<size_t>(l.outElems, 1) * 4);
          }
          void* send = c.send;
          void* recv = c.recv;
          stream.enqueue([&dev, send, recv, l, rank] {
            auto* out = reinterpret_cast<int32_t*>(dev.view(recv));
            std::fill(out, out + l.outElems, -1);
            auto* in = reinterpret_cast<int32_t*>(dev.view(send));
            for (size_t j = 0; j < l.inElems; ++j) in[j] = value(rank, j);
          });
          const weftResult_t r = issue(kind, comm.get(), send, recv, count, n, rank, stream.handle());
          if (r != weftSuccess) throw std::runtime_error(describe(kind, inPlace, count) + ": " + weftGetLastError(comm.get()));
        }
      }
      // The calls' vector no longer grows: each read-back kernel can point into it. They are
      // enqueued after all calls, so they also check that later work waits for every call.
      for (Issued& c : calls) {
        void* recv = c.recv;
        int32_t* got = c.got.data();
        const size_t bytes = c.got.size() * 4;
        stream.enqueue([&dev, recv, got, bytes] { std::memcpy(got, dev.view(recv), bytes); });
      }
      issued.store(true);
      stream.synchronize();
      for (Issued& c : calls) {
        const std::string bad = firstWrong(c.kind, rank, n, count, c.got);
        if (!bad.empty()) {
          std::string head;  // the first elements, to see the pattern
          for (size_t i = 0; i < std::min<size_t>(c.got.size(), 32); ++i) head += std::to_string(c.got[i]) + " ";
          wrong[size_t(rank)].push_back(describe(c.kind, c.inPlace, count) + ": " + bad + " [" + head + "...]");
        }
        for (void* p : c.owned) {
          if (p != nullptr) dev.free(p);
        }
      }
    }
  });
  CHECK(lateStarts.load() == 0);
  for (int r = 0; r < n; ++r) {
    INFO("rank " << r << " of " << n);
    CHECK(wrong[size_t(r)].empty());
    for (const auto& w : wrong[size_t(r)]) UNSCOPED_INFO(w);
  }
  comms.clear();
  CHECK(dev.pinnedLive() == 0);  // destroy freed the staging
}
