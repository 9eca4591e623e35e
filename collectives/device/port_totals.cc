// SPDX-License-Identifier: Apache-2.0
#include "collectives/device/port_totals.h"

namespace weft::coll::devring {

void PortTotals::fill(RingJob& j) const {
  const int me = j.rank;
  const int parent = parentOf(j, me);
  for (uint32_t c = 0; c < j.geo.channels; ++c) {  // the kernel reads no other
    for (int p = 0; p < kPorts; ++p) j.inBase[p][c] = at(me, p, c);
    for (int o = 0; o < kOuts; ++o) j.outBase[o][c] = 0;
    j.outBase[kToSucc][c] = at((me + 1) % size_, kFromPred, c);
    for (int i = 0; i < 2; ++i) {
      const int child = childOf(j, me, i);
      if (child >= 0) j.outBase[kToChild0 + i][c] = at(child, kFromParent, c);
    }
    if (parent >= 0) {
      const int index = childOf(j, parent, 0) == me ? 0 : 1;
      j.outBase[kToParent][c] = at(parent, kFromChild0 + index, c);
    }
  }
}

void PortTotals::advance(const RingJob& j) {
  for (int r = 0; r < size_; ++r) {
    for (uint32_t c = 0; c < j.geo.channels; ++c) {
      uint64_t got[kPorts];
      portSlots(j, r, c, got);
      for (int p = 0; p < kPorts; ++p) at(r, p, c) += got[p];
    }
  }
}

}  // namespace weft::coll::devring
