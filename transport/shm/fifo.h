// SPDX-License-Identifier: Apache-2.0
// Layout of a rank's shared-memory segment: a doorbell and one FIFO of chunk slots per peer.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "common/wait.h"

namespace weft::transport::shm {

// Note [Slot FIFOs]
// Every rank creates one segment holding its doorbell and its *inbound* FIFOs, one per peer. A FIFO
// is a ring of kHeaders one-line headers, one per message in flight, and a data ring of
// `(slots+1)*slotBytes` bytes. A message of at most kInlineBytes travels inside its header line, so
// that it costs the receiver one cache-line transfer (data, size and flag together, as NCCL's LL
// protocol carries its flags with the data) instead of three (a counter, a size and the data). A
// larger one takes the next `bytes` (rounded up to a line) of the data ring, or the ring's start
// when it would not fit before the end, and its header says where. The producer (the peer) writes
// the message straight into its place, then the header: the size, the stamp, the place and, last,
// the sequence number (1 + the message's number, release order); the consumer (the owner) polls the
// header it expects next, reads the message in place and advances `tail` (the headers it is done
// with) and `tailPos` (the data bytes), which only it writes and the producer reads only when the
// rings look full. So a FIFO holds `slots` chunks of `slotBytes` wherever the ring's next free byte
// stands (a chunk skips less than one chunk at the ring's end: hence the extra slot; with only
// `slots` of them, 2 slots after one 40-byte message held one full chunk, and ring algorithms,
// which post a second chunk while holding a received one, could wait for each other forever), or up
// to kHeaders small messages: with fixed slots, one per message, 4 ranks on 2 cores broadcasting 8
// bytes ran out of the 8 slots and switched ranks every 8 calls, 0.7 us a call; 64 deep, 0.4 us. A
// side that changed a header or `tail` rings the other's doorbell, which costs nothing unless that
// side is about to sleep (Note [Doorbells]). Algorithms that reduce can thus read the peer's chunk
// and write the result into the next peer's slot in one pass, with no intermediate copy.

// Note [Doorbells]
// A waiter that may sleep first arms (increments `sleepers`, a locked instruction), then reads
// `seq` (the token), re-checks its condition, and sleeps with futex(seq, token). A ringer
// publishes its data and then, only if it sees `sleepers` non-zero, increments `seq` and calls
// futex-wake. A ringer that sees the waiter armed cannot be missed: its increment follows its
// data, so the waiter either reads the data or sleeps on a token that the increment makes stale.
// A ringer that sees `sleepers` zero skips both, and it has no fence between its store and that
// load, so its store may still sit in its store buffer when the waiter re-checks (the one
// ordering x86 allows); the waiter would then sleep past it. So the first sleep after arming is
// short (Transport::kFirstArmedSleepUs, far longer than a store takes to drain) and later sleeps,
// by which time every ringer sees the waiter armed, may be long. The gain: a rank that only spins or yields is
// never armed, and its peers' posts cost no fence, no atomic increment on a line the waiter
// polls and no system call (those were half the time of an 8-byte all-reduce at 2 ranks).
struct alignas(64) Doorbell {
  std::atomic<uint32_t> seq{0};
  std::atomic<uint32_t> sleepers{0};

  void ring() {
    if (sleepers.load(std::memory_order_relaxed) == 0) return;
    seq.fetch_add(1, std::memory_order_seq_cst);
    futexWakeAll(&seq);
  }
};
inline constexpr uint32_t kMaxSlots = 64;
inline constexpr uint32_t kHeaders = 64;  // messages in flight, whatever their size

inline constexpr size_t kInlineBytes = 32;

// Where a message larger than kInlineBytes lies in the data ring.
struct DataPlace {
  uint64_t start;   // in bytes since the FIFO began: what `tailPos` counts
  uint64_t offset;  // start modulo the ring's size: its address in the ring
};

struct alignas(64) SlotHeader {
  std::atomic<uint64_t> seq{0};      // 1 + the number of the message; written last
  uint64_t bytes = 0;                // its size
  uint64_t stamp[2] = {};            // its Stamp (Note [Stamps] in transport/transport.h)
  union {
    std::byte inlined[kInlineBytes];  // the message itself when bytes <= kInlineBytes
    DataPlace place;                  // else where it is
  };
};
static_assert(sizeof(SlotHeader) == 64);

struct FifoCtl {
  // Written by the consumer only, in one line: messages released, and data bytes released.
  alignas(64) std::atomic<uint64_t> tail{0};
  std::atomic<uint64_t> tailPos{0};
  SlotHeader slot[kHeaders];  // written by the producer only
};

struct SegmentHeader {
  uint64_t magic;
  uint32_t nranks;
  uint32_t slots;
  uint64_t slotBytes;
  Doorbell bell;
};

inline constexpr uint64_t kSegmentMagic = 0x7765667473686d34ull;  // "weftshm4": a packed data ring
inline constexpr size_t kPage = 4096;

inline constexpr size_t roundUp(size_t v, size_t to) { return (v + to - 1) / to * to; }

// Byte offsets inside a segment; every rank computes the same layout from the same settings.
struct Layout {
  uint32_t nranks;
  uint32_t slots;
  size_t slotBytes;

  size_t ctlBytes() const { return roundUp(sizeof(FifoCtl), kPage); }
  size_t ringBytes() const { return (size_t(slots) + 1) * slotBytes; }  // Note [Slot FIFOs]
  size_t fifoBytes() const { return ctlBytes() + roundUp(ringBytes(), kPage); }
  size_t headerBytes() const { return roundUp(sizeof(SegmentHeader), kPage); }
  size_t totalBytes() const { return headerBytes() + nranks * fifoBytes(); }
  // The FIFO carrying chunks from rank `src` to the segment's owner.
  size_t fifoOffset(int src) const { return headerBytes() + size_t(src) * fifoBytes(); }
};

}  // namespace weft::transport::shm
