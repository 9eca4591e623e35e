// SPDX-License-Identifier: Apache-2.0
// Layout of a rank's shared-memory segment: a doorbell and one FIFO of chunk slots per peer.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "common/wait.h"

namespace weft::transport::shm {

// Note [Slot FIFOs]
// Every rank creates one segment holding its doorbell and its *inbound* FIFOs, one per peer.
// A FIFO is a ring of `slots` slots of `slotBytes` bytes. The producer (the peer) writes a chunk
// straight into the next free slot, records its size and advances `head`; the consumer (the
// owner) reads the chunk in place and advances `tail`. head and tail only grow (64-bit, never
// wrap), each is written by one side only and lives on its own cache line. After changing
// either, a side rings the other's doorbell: a counter that the other side may sleep on with a
// futex (Note [Doorbells]). Algorithms that reduce can thus read the peer's chunk and write the
// result into the next peer's slot in one pass, with no intermediate copy.

// Note [Doorbells]
// A waiter reads `seq` (the token), re-checks its condition, then sleeps with futex(seq, token);
// a ringer publishes its data, increments `seq`, and calls futex-wake only if `sleepers` is
// non-zero. Both sides use sequentially consistent operations, so a ring that lands after the
// token was read either makes the futex call return at once (seq != token) or wakes it.
struct alignas(64) Doorbell {
  std::atomic<uint32_t> seq{0};
  std::atomic<uint32_t> sleepers{0};

  void ring() {
    seq.fetch_add(1, std::memory_order_seq_cst);
    if (sleepers.load(std::memory_order_seq_cst) != 0) futexWakeAll(&seq);
  }
};

inline constexpr uint32_t kMaxSlots = 64;

struct FifoCtl {
  alignas(64) std::atomic<uint64_t> head{0};  // chunks posted; written by the producer only
  alignas(64) std::atomic<uint64_t> tail{0};  // chunks released; written by the consumer only
  alignas(64) uint64_t sizes[kMaxSlots];      // bytes in each slot, published by head
};

struct SegmentHeader {
  uint64_t magic;
  uint32_t nranks;
  uint32_t slots;
  uint64_t slotBytes;
  Doorbell bell;
};

inline constexpr uint64_t kSegmentMagic = 0x7765667473686d31ull;  // "weftshm1"
inline constexpr size_t kPage = 4096;

inline constexpr size_t roundUp(size_t v, size_t to) { return (v + to - 1) / to * to; }

// Byte offsets inside a segment; every rank computes the same layout from the same settings.
struct Layout {
  uint32_t nranks;
  uint32_t slots;
  size_t slotBytes;

  size_t ctlBytes() const { return roundUp(sizeof(FifoCtl), kPage); }
  size_t fifoBytes() const { return ctlBytes() + roundUp(slots * slotBytes, kPage); }
  size_t headerBytes() const { return roundUp(sizeof(SegmentHeader), kPage); }
  size_t totalBytes() const { return headerBytes() + nranks * fifoBytes(); }
  // The FIFO carrying chunks from rank `src` to the segment's owner.
  size_t fifoOffset(int src) const { return headerBytes() + size_t(src) * fifoBytes(); }
};

}  // namespace weft::transport::shm
