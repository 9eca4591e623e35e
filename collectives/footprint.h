// SPDX-License-Identifier: Apache-2.0
// Which bytes of its buffers a collective reads and writes on one rank: what a call on device
// buffers copies to the host before it and back after it (Note [Stream-ordered calls]).
#pragma once

#include <cstddef>

#include "collectives/algorithm.h"

namespace weft::coll {

struct Footprint {
  const void* in = nullptr;   // read by this rank (nullptr: nothing)
  size_t inBytes = 0;
  void* out = nullptr;        // written by this rank, every byte of it (nullptr: nothing)
  size_t outBytes = 0;
};

// For validated arguments on rank `rank` of `size`. Buffers a rank does not use (a non-root's
// recvbuff of reduce and gather, its sendbuff of broadcast and scatter) are left out.
Footprint footprint(const CollArgs& args, int rank, int size);

}  // namespace weft::coll
