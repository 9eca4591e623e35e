// SPDX-License-Identifier: Apache-2.0
// The transport contract, written once and run for every built transport (shm, tcp, ucx) with thread ranks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/deadline.h"
#include "tests/transport/harness.h"

namespace weft::test {
namespace {

using transport::Endpoint;
using transport::Stamp;
using transport::Transport;
using transport::WaitArm;

constexpr double kWaitUs = 50000;

[[noreturn]] void stuck(const std::string& what, int rank, int peer) {
  throw std::runtime_error("rank " + std::to_string(rank) + " stuck " + what + " rank " + std::to_string(peer));
}

// The stamp message `seq` from `from` to `to` carries (Note [Stamps]): every bit pattern must
// arrive unchanged, so each message's differs.
Stamp stampOf(int from, int to, uint64_t seq) {
  return {seq * 0x9e3779b97f4a7c15ull ^ uint64_t(from), ~seq ^ (uint64_t(to) << 40)};
}

// Sends message `seq` of `bytes` (pattern content) to ep's peer, waiting for a slot.
void sendMsg(Transport& t, Endpoint& ep, int me, uint64_t seq, size_t bytes) {
  const Deadline deadline = Deadline::after(20);
  WaitArm arm(t);  // Note [Armed waits]
  for (;;) {
    const uint32_t token = t.waitToken();
    if (std::byte* slot = ep.trySendSlot()) {
      for (size_t i = 0; i < bytes; ++i) slot[i] = pattern(me, ep.peer(), seq, i);
      ep.postSend(bytes, stampOf(me, ep.peer(), seq));
      return;
    }
    if (deadline.expired()) stuck("sending to", me, ep.peer());
    t.waitChange(token, kWaitUs);
  }
}

// Receives the next message, waiting for it, and its stamp into *stamp unless null.
std::vector<std::byte> recvMsg(Transport& t, Endpoint& ep, int me, Stamp* stamp = nullptr) {
  const Deadline deadline = Deadline::after(20);
  WaitArm arm(t);
  for (;;) {
    const uint32_t token = t.waitToken();
    size_t bytes = 0;
    if (const std::byte* p = ep.tryRecvSlot(&bytes)) {
      std::vector<std::byte> out(p, p + bytes);
      if (stamp) *stamp = ep.recvStamp();
      ep.releaseRecv();
      return out;
    }
    if (deadline.expired()) stuck("receiving from", me, ep.peer());
    t.waitChange(token, kWaitUs);
  }
}

bool matches(const std::vector<std::byte>& m, int src, int dst, uint64_t seq, size_t bytes) {
  if (m.size() != bytes) return false;
  for (size_t i = 0; i < bytes; ++i) {
    if (m[i] != pattern(src, dst, seq, i)) return false;
  }
  return true;
}

size_t streamSize(uint64_t i, int src, size_t slotBytes) { return (i * 37 + size_t(src) * 11) % (slotBytes + 1); }

// Every rank streams `count` messages to every peer and checks every message it receives, all at
// once and without blocking, so slots run out and back-pressure kicks in. `exact`: each send asks
// for room for its own size (shm then packs them, Note [Slot FIFOs]) instead of a whole slot.
void streamAll(RankLinks& L, uint64_t count, size_t slotBytes, bool exact = false) {
  const int me = L.rank;
  const int n = int(L.eps.size());
  std::vector<uint64_t> sent(static_cast<size_t>(n)), got(static_cast<size_t>(n));
  const Deadline deadline = Deadline::after(60);
  WaitArm arm(*L.transport);
  for (uint64_t remaining = 2 * count * uint64_t(n - 1); remaining > 0;) {
    const uint32_t token = L.transport->waitToken();
    bool progress = false;
    for (int p = 0; p < n; ++p) {
      if (p == me) continue;
      Endpoint& ep = *L.eps[size_t(p)];
      for (std::byte* slot;
           sent[size_t(p)] < count &&
           (slot = exact ? ep.trySendSlot(streamSize(sent[size_t(p)], me, slotBytes)) : ep.trySendSlot()) != nullptr;
           ++sent[size_t(p)]) {
        const uint64_t seq = sent[size_t(p)];
        const size_t bytes = streamSize(seq, me, slotBytes);
        for (size_t i = 0; i < bytes; ++i) slot[i] = pattern(me, p, seq, i);
        ep.postSend(bytes, stampOf(me, p, seq));
        --remaining;
        progress = true;
      }
      size_t bytes = 0;
      for (const std::byte* m; got[size_t(p)] < count && (m = ep.tryRecvSlot(&bytes)) != nullptr; ++got[size_t(p)]) {
        const uint64_t seq = got[size_t(p)];
        std::vector<std::byte> copy(m, m + bytes);
        if (!matches(copy, p, me, seq, streamSize(seq, p, slotBytes)) || ep.recvStamp() != stampOf(p, me, seq)) {
          throw std::runtime_error("rank " + std::to_string(me) + ": message " + std::to_string(seq) + " from rank " +
                                   std::to_string(p) + " is wrong (" + std::to_string(bytes) + " bytes)");
        }
        ep.releaseRecv();
        --remaining;
        progress = true;
      }
    }
    if (deadline.expired()) throw std::runtime_error("rank " + std::to_string(me) + " stream stuck");
    if (!progress) L.transport->waitChange(token, kWaitUs);
  }
}

}  // namespace

TEST_CASE("transport contract: ping-pong of edge sizes between every pair", "[transport][contract]") {
  const std::string kind = GENERATE(from_range(builtTransports()));
  const int nranks = GENERATE(2, 3);
  TransportSetup s{kind, nranks, 8, 4096};
  // 31, 32, 33: around the largest chunk a shm slot header carries inline (Note [Slot FIFOs]).
  const std::vector<size_t> sizes{0, 1, 7, 31, 32, 33, 48, s.slotBytes};
  INFO(kind << " with " << nranks << " ranks");
  REQUIRE_NOTHROW(runRanks(s, [&](RankLinks& L, TimedBarrier&) {
    const int me = L.rank;
    for (int p = 0; p < nranks; ++p) {
      if (p == me) continue;
      for (size_t k = 0; k < sizes.size(); ++k) sendMsg(*L.transport, *L.eps[size_t(p)], me, k, sizes[k]);
    }
    for (int p = 0; p < nranks; ++p) {
      if (p == me) continue;
      for (size_t k = 0; k < sizes.size(); ++k) {
        Stamp stamp;
        const auto m = recvMsg(*L.transport, *L.eps[size_t(p)], me, &stamp);
        if (!matches(m, p, me, k, sizes[k]) || stamp != stampOf(p, me, k)) {
          throw std::runtime_error("bad ping from rank " + std::to_string(p));
        }
        // Echo it back unchanged; the sender checks that it is its own message.
        Endpoint& ep = *L.eps[size_t(p)];
        std::byte* slot = nullptr;
        WaitArm arm(*L.transport);
        while ((slot = ep.trySendSlot()) == nullptr) L.transport->waitChange(L.transport->waitToken(), kWaitUs);
        if (!m.empty()) std::memcpy(slot, m.data(), m.size());
        ep.postSend(m.size(), stamp);
      }
    }
    for (int p = 0; p < nranks; ++p) {
      if (p == me) continue;
      for (size_t k = 0; k < sizes.size(); ++k) {
        Stamp stamp;
        const auto m = recvMsg(*L.transport, *L.eps[size_t(p)], me, &stamp);
        if (!matches(m, me, p, k, sizes[k]) || stamp != stampOf(me, p, k)) {
          throw std::runtime_error("bad pong from rank " + std::to_string(p));
        }
      }
    }
  }));
}

TEST_CASE("transport contract: ordered stream with two slots", "[transport][contract]") {
  const std::string kind = GENERATE(from_range(builtTransports()));
  const int nranks = GENERATE(2, 3);
  TransportSetup s{kind, nranks, 2, 4096};
  INFO(kind << " with " << nranks << " ranks");
  REQUIRE_NOTHROW(runRanks(s, [&](RankLinks& L, TimedBarrier&) { streamAll(L, 1000, s.slotBytes); }));
}

TEST_CASE("transport contract: ordered stream of messages that each ask for their own size", "[transport][contract]") {
  const std::string kind = GENERATE(from_range(builtTransports()));
  const int nranks = GENERATE(2, 3);
  // Two slots: the sizes (0 to a whole slot) wrap shm's data ring at every offset.
  TransportSetup s{kind, nranks, 2, 4096};
  INFO(kind << " with " << nranks << " ranks");
  REQUIRE_NOTHROW(runRanks(s, [&](RankLinks& L, TimedBarrier&) { streamAll(L, 3000, s.slotBytes, true); }));
}

TEST_CASE("shm: small messages queue 64 deep whatever the slots; large ones as many as the ring holds",
          "[transport][shm]") {
  TransportSetup s{"shm", 2, 2, 4096};
  REQUIRE_NOTHROW(runRanks(s, [&](RankLinks& L, TimedBarrier& barrier) {
    Endpoint& ep = *L.eps[size_t(1 - L.rank)];
    // Rounds of: rank 0 fills the FIFO without rank 1 reading, then rank 1 reads it all. Two slots
    // of 4 KiB make a data ring of 3 x 4 KiB (Note [Slot FIFOs]): 48 messages of 256 B, 3 of
    // 4 KiB from the ring's start, and 2, the slots, from a ring left at an odd offset by the
    // 40-byte messages before them (the ring algorithms' deadlock with one).
    struct Round {
      size_t bytes;
      uint64_t fits;
    };
    const Round rounds[] = {{8, 64}, {32, 64}, {33, 64}, {64, 64}, {200, 48}, {4096, 3}, {3000, 3}, {40, 64}, {4096, 2}, {0, 64}};
    uint64_t seq = 0;
    for (const Round& r : rounds) {
      if (L.rank == 0) {
        for (uint64_t i = 0; i < r.fits; ++i) {
          std::byte* slot = ep.trySendSlot(r.bytes);
          if (slot == nullptr) throw std::runtime_error("no room for message " + std::to_string(i) + " of " + std::to_string(r.bytes) + " bytes");
          for (size_t b = 0; b < r.bytes; ++b) slot[b] = pattern(0, 1, seq + i, b);
          ep.postSend(r.bytes, stampOf(0, 1, seq + i));
        }
        if (ep.trySendSlot(r.bytes) != nullptr) throw std::runtime_error("room for more than " + std::to_string(r.fits) + " messages of " + std::to_string(r.bytes) + " bytes");
      }
      barrier.arriveAndWait();
      if (L.rank == 1) {
        for (uint64_t i = 0; i < r.fits; ++i) {
          Stamp stamp;
          const auto m = recvMsg(*L.transport, ep, 1, &stamp);
          if (!matches(m, 0, 1, seq + i, r.bytes) || stamp != stampOf(0, 1, seq + i)) {
            throw std::runtime_error("message " + std::to_string(i) + " of " + std::to_string(r.bytes) + " bytes is wrong");
          }
        }
        size_t bytes = 0;
        if (ep.tryRecvSlot(&bytes) != nullptr) throw std::runtime_error("a message nobody sent");
      }
      seq += r.fits;
      barrier.arriveAndWait();
    }
    if (L.rank == 0) {
      // Asked for a whole slot, filled with a small message: it still arrives (inline).
      std::byte* slot = ep.trySendSlot();
      if (slot == nullptr) throw std::runtime_error("no room in an empty FIFO");
      for (size_t b = 0; b < 5; ++b) slot[b] = pattern(0, 1, seq, b);
      ep.postSend(5, stampOf(0, 1, seq));
      // Asked for 40 bytes, posted 41: refused rather than sent past the room it was given.
      if (ep.trySendSlot(40) == nullptr) throw std::runtime_error("no room for 40 bytes");
      bool refused = false;
      try {
        ep.postSend(41, stampOf(0, 1, seq + 1));
      } catch (const std::exception&) {
        refused = true;
      }
      if (!refused) throw std::runtime_error("posted 41 bytes into room for 40");
    } else {
      const auto m = recvMsg(*L.transport, ep, 1);
      if (!matches(m, 0, 1, seq, 5)) throw std::runtime_error("the small message in a large slot is wrong");
    }
  }));
}

TEST_CASE("tcp: ordered stream over several sockets per peer, and several progress threads", "[transport][tcp]") {
  const int nsocks = GENERATE(2, 3);
  const uint32_t slots = GENERATE(2u, 8u);
  const int nthreads = GENERATE(1, 2, 3);
  TransportSetup s{"tcp", 3, slots, 4096, nsocks};
  s.nthreads = nthreads;
  INFO(nsocks << " sockets, " << slots << " slots, " << nthreads << " progress threads");
  REQUIRE_NOTHROW(runRanks(s, [&](RankLinks& L, TimedBarrier&) { streamAll(L, 1000, s.slotBytes); }));
}

TEST_CASE("tcp: IPv6 (::1) carries an ordered stream too", "[transport][tcp]") {
  REQUIRE(transport::tcp::chooseAddress("=lo", AF_INET6) == "::1");
  TransportSetup s{"tcp", 3, 4, 4096, 2, AF_INET6};
  REQUIRE_NOTHROW(runRanks(s, [&](RankLinks& L, TimedBarrier&) { streamAll(L, 300, s.slotBytes); }));
}

TEST_CASE("transport contract: chunks posted just before a rank goes idle are delivered", "[transport][contract]") {
  // 8 MiB is more than the kernel's socket buffers hold: the rest must move without the sender's
  // help once its thread stops calling the transport (for tcp: the progress thread).
  // UCX: 1 MiB chunks go by rendezvous, 48 KiB ones eagerly, which UCX may report sent while
  // bytes still wait in its own buffers (the helper thread's flush moves them).
  const std::string kind = GENERATE(from_range(builtTransports()));
  const size_t kChunk = GENERATE(size_t(48) << 10, size_t(1) << 20);
  INFO(kind << ", chunks of " << kChunk << " bytes");
  REQUIRE_NOTHROW(runRanks(TransportSetup{kind, 2, 8, kChunk}, [&](RankLinks& L, TimedBarrier& barrier) {
    if (L.rank == 0) {
      for (uint64_t k = 0; k < 8; ++k) sendMsg(*L.transport, *L.eps[1], 0, k, kChunk);
      barrier.arriveAndWait();
      return;  // idle in runRanks' final barrier from here on
    }
    barrier.arriveAndWait();  // the sender has posted its last chunk and left
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (uint64_t k = 0; k < 8; ++k) {
      if (!matches(recvMsg(*L.transport, *L.eps[0], 1), 0, 1, k, kChunk)) throw std::runtime_error("bad chunk");
    }
  }));
}

TEST_CASE("transport contract: postSendFrom sends caller memory, free again once sendsDrained()",
          "[transport][contract]") {
  // 8 MiB of 1 MiB chunks from caller memory to a receiver that starts late: the sender must see
  // sendsDrained() false while its memory is still being sent, and may scribble over it after.
  const std::string kind = GENERATE(from_range(builtTransports()));
  INFO(kind);
  constexpr size_t kChunk = 1 << 20;
  constexpr uint64_t kCount = 8;
  REQUIRE_NOTHROW(runRanks(TransportSetup{kind, 2, 4, kChunk}, [&](RankLinks& L, TimedBarrier&) {
    Transport& t = *L.transport;
    WaitArm arm(t);
    if (L.rank == 0) {
      Endpoint& ep = *L.eps[1];
      std::vector<std::byte> mem(kCount * kChunk);
      for (uint64_t k = 0; k < kCount; ++k) {
        for (size_t i = 0; i < kChunk; ++i) mem[k * kChunk + i] = pattern(0, 1, k, i);
      }
      const Deadline deadline = Deadline::after(20);
      for (uint64_t k = 0; k < kCount; ++k) {
        for (;;) {
          const uint32_t token = t.waitToken();
          if (ep.trySendSlot() != nullptr) break;
          if (deadline.expired()) stuck("sending to", 0, 1);
          t.waitChange(token, kWaitUs);
        }
        ep.postSendFrom(mem.data() + k * kChunk, kChunk, stampOf(0, 1, k));
      }
      while (!ep.sendsDrained()) {
        if (deadline.expired()) stuck("draining to", 0, 1);
        t.waitChange(t.waitToken(), 1000);
      }
      std::fill(mem.begin(), mem.end(), std::byte{0xee});
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    for (uint64_t k = 0; k < kCount; ++k) {
      if (!matches(recvMsg(t, *L.eps[0], 1), 0, 1, k, kChunk)) throw std::runtime_error("chunk " + std::to_string(k) + " changed");
    }
  }));
}

TEST_CASE("transport contract: waitChange wakes when a peer posts", "[transport][contract]") {
  const std::string kind = GENERATE(from_range(builtTransports()));
  INFO(kind);
  double waitedSeconds = -1;
  REQUIRE_NOTHROW(runRanks(TransportSetup{kind, 2}, [&](RankLinks& L, TimedBarrier& barrier) {
    if (L.rank == 0) {
      barrier.arriveAndWait();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      sendMsg(*L.transport, *L.eps[1], 0, 0, 5);
      return;
    }
    Endpoint& ep = *L.eps[0];
    WaitArm arm(*L.transport);
    uint32_t token = L.transport->waitToken();
    size_t bytes = 0;
    if (ep.tryRecvSlot(&bytes) != nullptr) throw std::runtime_error("a message before anything was sent");
    barrier.arriveAndWait();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 100 && ep.tryRecvSlot(&bytes) == nullptr; ++i) {
      L.transport->waitChange(token, 20e6);  // 20 s: only a wake-up ends it early
      token = L.transport->waitToken();
    }
    waitedSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (ep.tryRecvSlot(&bytes) == nullptr || bytes != 5) throw std::runtime_error("no message after waking");
    ep.releaseRecv();
  }));
  CHECK(waitedSeconds >= 0.05);
  CHECK(waitedSeconds < 2.0);
}

TEST_CASE("network transports: peerAlive turns false once a peer's transport is gone and its data is read",
          "[transport][tcp]") {
  // shm decides liveness by process, so thread ranks of one process always look alive there.
  std::vector<std::string> kinds{"tcp"};
  if (WEFT_HAVE_UCX) kinds.push_back("ucx-tcp");
  const std::string kind = GENERATE_COPY(from_range(kinds));
  INFO(kind);
  std::vector<int> results(3, -1);
  REQUIRE_NOTHROW(runRanks(TransportSetup{kind, 3}, [&](RankLinks& L, TimedBarrier& barrier) {
    const int me = L.rank;
    for (int p = 0; p < 3; ++p) {
      if (p != me && !L.transport->peerAlive(p)) throw std::runtime_error("peer dead before anyone left");
    }
    if (me == 1) sendMsg(*L.transport, *L.eps[0], 1, 0, 100);
    barrier.arriveAndWait();
    if (me == 1) {
      L.eps.clear();
      L.transport.reset();
      barrier.arriveAndWait();
      return;
    }
    barrier.arriveAndWait();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    int flags = 0;
    if (me == 0) {
      // The last message from rank 1 is unread: still alive until it is consumed.
      if (L.transport->peerAlive(1)) flags |= 1;
      if (matches(recvMsg(*L.transport, *L.eps[1], 0), 1, 0, 0, 100)) flags |= 2;
    }
    const Deadline deadline = Deadline::after(10);
    WaitArm arm(*L.transport);
    while (L.transport->peerAlive(1) && !deadline.expired()) {
      L.transport->waitChange(L.transport->waitToken(), 10000);
    }
    if (!L.transport->peerAlive(1)) flags |= 4;
    if (L.transport->peerAlive(2 - me)) flags |= 8;
    results[size_t(me)] = flags;
  }));
  // The interface lets a transport call a departed peer dead while its last chunks are unread
  // (callers look again); those chunks must still arrive. TCP keeps the peer alive until then.
  CHECK((results[0] & (2 | 4 | 8)) == (2 | 4 | 8));
  if (kind == "tcp") CHECK((results[0] & 1) != 0);
  CHECK(results[2] == (4 | 8));
}

// Not run by default: `transport_contract_test "[perf]"` prints one-way bandwidth.
TEST_CASE("transport throughput: 64 MiB in 512 KiB chunks", "[.][perf]") {
  const std::string kind = GENERATE(from_range(builtTransports()));
  const int nsocks = kind == "tcp" ? GENERATE(1, 2, 4) : 1;
  const int nthreads = kind == "tcp" && nsocks > 1 ? GENERATE(1, 2) : 1;
  constexpr size_t kChunk = 512 << 10, kTotal = 64 << 20;
  double seconds = 0;
  TransportSetup setup{kind, 2, 8, kChunk, nsocks};
  setup.nthreads = nthreads;
  REQUIRE_NOTHROW(runRanks(setup, [&](RankLinks& L, TimedBarrier& barrier) {
    Transport& t = *L.transport;
    Endpoint& ep = *L.eps[size_t(1 - L.rank)];
    WaitArm arm(t);
    barrier.arriveAndWait();
    const auto start = std::chrono::steady_clock::now();
    for (uint64_t k = 0; k < kTotal / kChunk; ++k) {
      for (;;) {
        const uint32_t token = t.waitToken();
        size_t bytes = 0;
        if (L.rank == 0) {
          if (std::byte* slot = ep.trySendSlot()) {
            std::memset(slot, int(k & 0xff), kChunk);
            ep.postSend(kChunk, Stamp{});
            break;
          }
        } else if (const std::byte* p = ep.tryRecvSlot(&bytes)) {
          if (bytes != kChunk || p[0] != std::byte(k) || p[kChunk - 1] != std::byte(k)) throw std::runtime_error("bad chunk");
          ep.releaseRecv();
          break;
        }
        t.waitChange(token, kWaitUs);
      }
    }
    if (L.rank == 1) seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }));
  std::printf("%s nsocks=%d nthreads=%d: %.0f MB/s\n", kind.c_str(), nsocks, nthreads, kTotal / seconds / 1e6);
}

}  // namespace weft::test
