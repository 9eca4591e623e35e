// SPDX-License-Identifier: Apache-2.0
// A chunked one-way transfer to or from one peer: the building block of point-to-point
// algorithms (all-to-all, scatter, gather, send/recv).
#pragma once

#include <algorithm>
#include <cstddef>

#include "collectives/primitives.h"

namespace weft::coll {

// Moves `count` elements as Send steps (src -> peer) or Recv steps (peer -> dst), one slot-sized
// chunk per step. Sender and receiver cut the same chunks: both use the link's slot size.
struct Transfer {
  Prim prim = Prim::Send;  // Send or Recv
  transport::Endpoint* peer = nullptr;
  const std::byte* src = nullptr;  // Send
  std::byte* dst = nullptr;        // Recv
  size_t count = 0;
  size_t done = 0;  // elements moved so far

  bool finished() const { return done == count; }

  // Moves chunks while slots allow, but never past `limit` elements (a Recv that must trail a
  // Send over the same memory passes the Send's progress). Returns whether anything moved.
  bool advance(Primitives& prims, size_t limit) {
    const size_t elem = prims.elementSize(), chunk = prims.maxChunkElements();
    bool moved = false;
    while (done < std::min(count, limit)) {
      const size_t len = std::min(chunk, count - done);
      if (done + len > limit) break;
      const std::byte* s = src ? src + done * elem : nullptr;
      std::byte* d = dst ? dst + done * elem : nullptr;
      if (!prims.tryStepWith(prim, peer, peer, s, d, len)) break;
      done += len;
      moved = true;
    }
    return moved;
  }
  bool advance(Primitives& prims) { return advance(prims, count); }
};

}  // namespace weft::coll
