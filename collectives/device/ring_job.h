// SPDX-License-Identifier: Apache-2.0
// One collective of the device ring or tree (Note [Device ring]): what the host hands the kernel,
// and the layout of the device memory the ranks share. Compiled by nvcc and by the host compiler.
#pragma once

#include <cstddef>
#include <cstdint>

#if defined(__CUDACC__)
#define WEFT_HD __host__ __device__
#else
#define WEFT_HD
#endif

namespace weft::coll::devring {

inline constexpr int kMaxChannels = 32;
inline constexpr int kMaxRanks = 64;  // larger communicators stage through the host
inline constexpr size_t kGranule = 16;  // channels and segments start 16 bytes apart (uint4)

// A rank's inbound FIFOs (per channel): from its ring predecessor, its tree parent, and its two
// tree children. Whoever writes into one, of whichever call, counts on that port's counters.
enum Port : uint32_t { kFromPred = 0, kFromParent = 1, kFromChild0 = 2, kFromChild1 = 3 };
inline constexpr int kPorts = 4;
// A rank's outbound links in one call: to its successor, its children, its parent.
enum Out : uint32_t { kToSucc = 0, kToChild0 = 1, kToChild1 = 2, kToParent = 3 };
inline constexpr int kOuts = 4;

// A counter on a line of its own: 64 bits, only ever raised, over the communicator's life.
struct alignas(128) Counter {
  uint64_t value;
};

// The start of every rank's workspace (device memory, reached by the others through CUDA IPC);
// the FIFOs follow: ports x channels x slots x slotBytes. Both counters of a port live with its
// reader: `ready` (slots filled, raised by the writer) and `freed` (slots emptied again, raised by
// the reader, polled by the writer).
struct WorkspaceHeader {
  Counter ready[kPorts][kMaxChannels];
  Counter freed[kPorts][kMaxChannels];
};
inline constexpr size_t kFifoOffset = sizeof(WorkspaceHeader);
// After the FIFOs, each slot's stamp: the signature of the call that wrote it (Note [Signatures]
// in collectives/signature.h), 16 bytes, in the same order (ports x channels x slots).
inline constexpr size_t kStampBytes = 16;

// What the host writes to device memory once the link is set up; kernels read it.
struct LinkTable {
  enum : uint32_t { Pending = 0, Ready = 1, Failed = 2 };
  uint32_t state;
  uint32_t pad;
  unsigned char* ws[kMaxRanks];  // every rank's workspace, as this process maps it
};

struct Geometry {
  uint32_t channels;   // blocks: each runs the schedule over its own part of the buffer
  uint32_t slots;      // FIFO depth per port and channel
  uint64_t slotBytes;  // a multiple of kGranule
};

WEFT_HD inline uint64_t stampsOffset(const Geometry& g) {
  return kFifoOffset + uint64_t(kPorts) * g.channels * g.slots * g.slotBytes;
}
WEFT_HD inline uint64_t workspaceBytes(const Geometry& g) {
  return stampsOffset(g) + uint64_t(kPorts) * g.channels * g.slots * kStampBytes;
}

// What a channel that received a slot of another call tells the host (pinned host memory, one
// per channel, so that no block needs an atomic on host memory): the writer's stamp and its own,
// `posted` written last.
struct MismatchReport {
  uint64_t got[2];
  uint64_t want[2];
  int32_t from;
  uint32_t posted;
};

enum class RingKind : uint32_t { AllReduce = 0, Broadcast = 1 };
enum class Shape : uint32_t { Ring = 0, Tree = 1 };

struct RingJob {
  RingKind kind;
  Shape shape;
  int32_t rank, size, root;  // all-reduce's tree is rooted at rank 0
  int32_t dtype, op;  // coll::DataType and coll::ReduceOp values (Avg reduces as Sum, then divides)
  uint32_t elemSize;
  const void* send;   // device pointers; send == recv in place
  void* recv;
  uint64_t count;
  const LinkTable* table;          // device memory
  volatile uint32_t* abort;        // pinned host memory, as the device maps it: nonzero stops
  // The call's signature, which every slot it writes carries and every slot it reads must carry
  // (unless `check` is 0: WEFT_CHECK=0), and where a mismatch is reported (pinned host memory,
  // kMaxChannels of them, as the device maps it).
  uint64_t stamp[2];
  uint32_t check;
  MismatchReport* reports;
  Geometry geo;
  // Slots that went through each port before this call: this rank's own (in), and the port each
  // outbound link writes into, at its receiver (out).
  uint64_t inBase[kPorts][kMaxChannels];
  uint64_t outBase[kOuts][kMaxChannels];
};

// Channel c's elements: [*begin, *begin + *len).
WEFT_HD inline void channelRange(const RingJob& j, uint32_t c, uint64_t* begin, uint64_t* len) {
  const uint64_t g = j.elemSize >= kGranule ? 1 : kGranule / j.elemSize;  // elements per granule
  const uint64_t granules = (j.count + g - 1) / g;
  const uint64_t per = (granules + j.geo.channels - 1) / j.geo.channels * g;
  const uint64_t b = per * c;
  *begin = b < j.count ? b : j.count;
  const uint64_t e = b + per < j.count ? b + per : j.count;
  *len = e - *begin;
}

WEFT_HD inline uint64_t sliceElems(const RingJob& j) { return j.geo.slotBytes / j.elemSize; }

// The tree: a binary heap over positions counted from the root.
WEFT_HD inline int treeRoot(const RingJob& j) { return j.kind == RingKind::AllReduce ? 0 : j.root; }
WEFT_HD inline int positionOf(const RingJob& j, int rank) { return (rank - treeRoot(j) + j.size) % j.size; }
WEFT_HD inline int rankAt(const RingJob& j, int pos) { return (pos + treeRoot(j)) % j.size; }
// Rank of child i (0, 1) of `rank`, or -1.
WEFT_HD inline int childOf(const RingJob& j, int rank, int i) {
  const int p = 2 * positionOf(j, rank) + 1 + i;
  return p < j.size ? rankAt(j, p) : -1;
}
WEFT_HD inline int parentOf(const RingJob& j, int rank) {
  const int pos = positionOf(j, rank);
  return pos == 0 ? -1 : rankAt(j, (pos - 1) / 2);
}

// Slots `rank` receives on each port of channel c in this call (every rank can tell every
// other's: the host keeps every rank's port totals, so a writer knows where its reader's are).
WEFT_HD inline void portSlots(const RingJob& j, int rank, uint32_t c, uint64_t got[kPorts]) {
  for (int p = 0; p < kPorts; ++p) got[p] = 0;
  uint64_t begin = 0, len = 0;
  channelRange(j, c, &begin, &len);
  const uint64_t n = uint64_t(j.size);
  if (n < 2 || len == 0) return;
  const uint64_t slices = (len + sliceElems(j) - 1) / sliceElems(j);
  if (j.shape == Shape::Ring) {
    if (j.kind == RingKind::AllReduce) {
      got[kFromPred] = (len + n * sliceElems(j) - 1) / (n * sliceElems(j)) * 2 * (n - 1);
    } else if ((rank - j.root + j.size) % j.size > 0) {
      got[kFromPred] = slices;
    }
    return;
  }
  if (parentOf(j, rank) >= 0) got[kFromParent] = slices;
  if (j.kind == RingKind::AllReduce) {
    for (int i = 0; i < 2; ++i) {
      if (childOf(j, rank, i) >= 0) got[kFromChild0 + i] = slices;
    }
  }
}

}  // namespace weft::coll::devring
