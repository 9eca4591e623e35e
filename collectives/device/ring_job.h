// SPDX-License-Identifier: Apache-2.0
// One collective of the device ring (Note [Device ring]): what the host hands the kernel, and the
// layout of the device memory the ranks share. Compiled by nvcc and by the host compiler alike.
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

// A counter on a line of its own: 64 bits, only ever raised, over the communicator's life.
struct alignas(128) Counter {
  uint64_t value;
};

// The start of every rank's workspace (device memory, reached by the others through CUDA IPC);
// the FIFOs follow: channels x slots x slotBytes.
struct WorkspaceHeader {
  Counter ready[kMaxChannels];  // slots the ring predecessor has filled in this rank's FIFO
  Counter freed[kMaxChannels];  // slots of the successor's FIFO it has emptied again
};
inline constexpr size_t kFifoOffset = sizeof(WorkspaceHeader);

// What the host writes to device memory once the link is set up; kernels read it.
struct LinkTable {
  enum : uint32_t { Pending = 0, Ready = 1, Failed = 2 };
  uint32_t state;
  uint32_t pad;
  unsigned char* ws[kMaxRanks];  // every rank's workspace, as this process maps it
};

struct Geometry {
  uint32_t channels;   // blocks: each runs the ring over its own part of the buffer
  uint32_t slots;      // FIFO depth per channel
  uint64_t slotBytes;  // a multiple of kGranule
};

enum class RingKind : uint32_t { AllReduce = 0, Broadcast = 1 };

struct RingJob {
  RingKind kind;
  int32_t rank, size, root;
  int32_t dtype, op;  // coll::DataType and coll::ReduceOp values (Avg reduces as Sum, then divides)
  uint32_t elemSize;
  const void* send;   // device pointers; send == recv in place
  void* recv;
  uint64_t count;
  const LinkTable* table;          // device memory
  const volatile uint32_t* abort;  // pinned host memory, as the device maps it: nonzero stops
  Geometry geo;
  uint64_t sentBase[kMaxChannels];  // slots this rank had sent to its successor before this call
  uint64_t recvBase[kMaxChannels];  // slots it had received from its predecessor
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

// Slots channel c of this call sends to the successor and receives from the predecessor.
WEFT_HD inline void slotsOf(const RingJob& j, uint32_t c, uint64_t* sends, uint64_t* recvs) {
  uint64_t begin = 0, len = 0;
  channelRange(j, c, &begin, &len);
  *sends = *recvs = 0;
  const uint64_t n = uint64_t(j.size);
  if (n < 2 || len == 0) return;
  if (j.kind == RingKind::AllReduce) {
    const uint64_t iters = (len + n * sliceElems(j) - 1) / (n * sliceElems(j));
    *sends = *recvs = iters * 2 * (n - 1);
  } else {
    const uint64_t iters = (len + sliceElems(j) - 1) / sliceElems(j);
    const int pos = (j.rank - j.root + j.size) % j.size;
    *sends = pos < j.size - 1 ? iters : 0;
    *recvs = pos > 0 ? iters : 0;
  }
}

}  // namespace weft::coll::devring
