// SPDX-License-Identifier: Apache-2.0
#include "tests/runtime/stream_sweep.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <thread>

#include "tests/runtime/stream_cases.h"

namespace weft::test {
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

std::vector<std::string> sweepOnStream(FakeDevice& dev, weftComm_t comm, int rank, int n, size_t count,
                                       std::span<const Kind> kinds) {
  FakeStream stream;
  std::vector<std::string> wrong;
  // The first kernel holds the stream until every call is issued: a call that waited for its
  // stream would never return (the kernel gives up after 20 s and says so).
  std::atomic<bool> issued{false}, late{false};
  stream.enqueue([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!issued.load() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    if (!issued.load()) late.store(true);
  });
  std::vector<Issued> calls;
  for (Kind kind : kinds) {
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
      const weftResult_t r = issue(kind, comm, send, recv, count, n, rank, stream.handle());
      if (r != weftSuccess) {
        issued.store(true);
        throw std::runtime_error(describe(kind, inPlace, count) + ": " + weftGetLastError(comm));
      }
    }
  }
  // The calls' vector no longer grows: each read-back kernel can point into it. They are
  // enqueued after all calls, so they also check that later work waits for every call.
  for (Issued& c : calls) {
    void* recv = c.recv;
    int32_t* got = c.got.data();
    const size_t bytes = c.got.size() * 4;
    if (bytes == 0) continue;  // nothing to read (and memcpy takes no null pointer)
    stream.enqueue([&dev, recv, got, bytes] { std::memcpy(got, dev.view(recv), bytes); });
  }
  issued.store(true);
  stream.synchronize();
  if (late.load()) wrong.push_back("the stream started before every call was issued: a call waited for its stream");
  for (Issued& c : calls) {
    const std::string bad = firstWrong(c.kind, rank, n, count, c.got);
    if (!bad.empty()) {
      std::string head;  // the first elements, to see the pattern
      for (size_t i = 0; i < std::min<size_t>(c.got.size(), 32); ++i) head += std::to_string(c.got[i]) + " ";
      wrong.push_back(describe(c.kind, c.inPlace, count) + ": " + bad + " [" + head + "...]");
    }
    for (void* p : c.owned) {
      if (p != nullptr) dev.free(p);
    }
  }
  return wrong;
}

}  // namespace weft::test
