// SPDX-License-Identifier: Apache-2.0
// A link's mappings of its peer's shared buffers (Note [Shared buffers] in transport/shared_memory.h).
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <vector>

#include "transport/shared_memory.h"

namespace weft::transport::shm {

// Loop-bound, like the endpoint that owns it. Unmaps everything when destroyed.
class PeerMaps {
 public:
  PeerMaps(int peer, pid_t pid) : peer_(peer), pid_(pid) {}
  ~PeerMaps();
  PeerMaps(const PeerMaps&) = delete;
  PeerMaps& operator=(const PeerMaps&) = delete;

  // The peer's bytes [remote, remote + bytes), which it says lie in shared buffer `ref`, as a
  // pointer this process may load from and store to; nullptr when they cannot be mapped (the buffer is gone,
  // the range is not inside it, the kernel refuses): the caller then reads them another way.
  std::byte* find(SharedRef ref, uint64_t remote, size_t bytes);

 private:
  struct Map {
    int32_t fd;
    uint32_t serial;
    uint64_t base = 0;   // the owner's address of the caller bytes
    uint64_t bytes = 0;  // how many
    std::byte* data = nullptr;  // our mapping of the caller bytes; null: could not map
    size_t mapped = 0;
    uint64_t used = 0;   // for evicting the least recently used
  };
  void open(Map& m) const;  // logs (Info) why it could not
  static void close(Map& m);

  // A handful: a job cycles through a few buffers. The oldest goes when a new one needs room.
  static constexpr size_t kMaxMaps = 16;
  const int peer_;  // rank, for messages
  const pid_t pid_;
  std::vector<Map> maps_;
  uint64_t clock_ = 0;
};

}  // namespace weft::transport::shm
