// SPDX-License-Identifier: Apache-2.0
// Buffers that peer processes on this host can map (Note [Shared buffers]): what weftMemAlloc
// hands out, and how a rank finds whether a buffer it was given lies in one.
#pragma once

#include <cstddef>
#include <cstdint>

namespace weft::transport {

// Note [Shared buffers]
// A shared buffer is a memfd (a file with no name, freed with its last descriptor and mapping) whose
// first page holds a SharedHeader and the rest the caller's bytes. The owner maps it once; a peer
// process of the same user opens the owner's descriptor as /proc/<pid>/fd/<fd> (an access the
// kernel grants by the same rule as reading the peer's /proc/<pid>/maps, which Yama leaves alone)
// and maps it, so a collective can load the peer's data where it lies and store its results
// into the peer's output: no FIFO copy, no process_vm_readv. The descriptor number can be reused once the owner frees the buffer, so
// every reference carries the buffer's serial, which the peer checks against the header. A peer
// keeps its mapping (and so the memory) until its communicator is destroyed or it needs the room
// (transport/shm/peer_maps.h); the owner's weftMemFree only drops the owner's own mapping.
struct SharedHeader {
  static constexpr uint64_t kMagic = 0x31666864656d7477;  // "wtmedhf1"
  uint64_t magic;
  uint64_t serial;  // unique in this process, never 0
  uint64_t base;    // the owner's address of the first caller byte
  uint64_t bytes;   // the caller's size
};
inline constexpr size_t kSharedHeaderBytes = 4096;  // the caller's bytes start one page in

// Where a buffer lies: in shared buffer `serial` (descriptor `fd` of the owner), or in none
// (serial 0).
struct SharedRef {
  int32_t fd = -1;
  uint32_t serial = 0;
  explicit operator bool() const { return serial != 0; }
};

// A new shared buffer of `bytes` bytes (> 0), 4096-byte aligned, zero-filled, not yet touched.
// Each holds one file descriptor until freed.
// Throws SystemError when the kernel refuses (no memory, too many descriptors).
void* allocateShared(size_t bytes);
// Frees a buffer from allocateShared; nullptr is a no-op. Throws InvalidArgument for any other
// pointer (including one inside a shared buffer but not its start).
void freeShared(void* p);
// The shared buffer holding all of [p, p + bytes), or none. Thread-safe.
SharedRef findShared(const void* p, size_t bytes);

}  // namespace weft::transport
