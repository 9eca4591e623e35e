// SPDX-License-Identifier: Apache-2.0
// The host's count of the slots that went through every rank's ports (Note [Device ring]): what
// each call's kernel starts from. Every rank keeps the whole table, from the calls alone.
#pragma once

#include <cstdint>
#include <vector>

#include "collectives/device/ring_job.h"

namespace weft::coll::devring {

class PortTotals {
 public:
  explicit PortTotals(int size) : size_(size), got_(size_t(size) * kPorts * kMaxChannels, 0) {}
  // Sets j.inBase and j.outBase for j.rank (j's shape, kind, count and geometry set).
  void fill(RingJob& j) const;
  // After j was launched: every rank's totals move on by what j passes through its ports.
  void advance(const RingJob& j);

 private:
  uint64_t& at(int rank, int port, uint32_t c) { return got_[(size_t(rank) * kPorts + size_t(port)) * kMaxChannels + c]; }
  uint64_t at(int rank, int port, uint32_t c) const {
    return got_[(size_t(rank) * kPorts + size_t(port)) * kMaxChannels + c];
  }
  int size_;
  std::vector<uint64_t> got_;
};

}  // namespace weft::coll::devring
