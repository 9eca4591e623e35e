// SPDX-License-Identifier: Apache-2.0
// The record each rank publishes at bootstrap as "host/<rank>": where it runs and the settings
// every rank of a communicator must share.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "runtime/store/store.h"

namespace weft::runtime {

struct Identity {
  std::string host;
  int32_t pid = 0;
  uint64_t choosing = 0;    // fingerprint of WEFT_ALGO and the tuning table
  uint64_t transports = 0;  // fingerprint of WEFT_TRANSPORT
  uint32_t ucxNet = 0;      // ucxNetworkHere()
  std::string gpu;          // the current GPU's UUID (16 bytes), or empty
  std::string cpus;         // ownCpus(): the affinity mask's bytes, at most kMaxCpuBytes

  static constexpr size_t kGpuBytes = 16;
  static constexpr size_t kFixed = 4 + 4 + 8 + 8 + 4 + kGpuBytes + 4;
  static constexpr size_t kMaxCpuBytes = 1024;
  static constexpr size_t kMaxHostBytes = 4096;

  store::Bytes encode() const;
  // Rank `rank`'s record, as read from the store. Throws RemoteError naming the rank when its
  // length, its host's length (at most kMaxHostBytes), its CPU mask's (at most kMaxCpuBytes) or
  // the three together do not add up.
  static Identity decode(const store::Bytes& b, int rank);
};

}  // namespace weft::runtime
