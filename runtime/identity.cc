// SPDX-License-Identifier: Apache-2.0
// Encoding and checking the bootstrap identity record.
#include "runtime/identity.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"

namespace weft::runtime {

store::Bytes Identity::encode() const {
  store::Bytes b(kFixed + host.size() + cpus.size());
  const uint32_t n = uint32_t(host.size());
  const uint32_t m = uint32_t(cpus.size());
  std::memcpy(b.data(), &n, 4);
  std::memcpy(b.data() + 4, &pid, 4);
  std::memcpy(b.data() + 8, &choosing, 8);
  std::memcpy(b.data() + 16, &transports, 8);
  std::memcpy(b.data() + 24, &ucxNet, 4);
  std::memcpy(b.data() + 28, gpu.data(), std::min(gpu.size(), kGpuBytes));  // zeros: none
  std::memcpy(b.data() + 28 + kGpuBytes, &m, 4);
  std::memcpy(b.data() + kFixed, host.data(), host.size());
  std::memcpy(b.data() + kFixed + host.size(), cpus.data(), cpus.size());
  return b;
}

Identity Identity::decode(const store::Bytes& b, int rank) {
  uint32_t n = 0, m = 0;
  if (b.size() >= kFixed) {
    std::memcpy(&n, b.data(), 4);
    std::memcpy(&m, b.data() + 28 + kGpuBytes, 4);
  }
  if (b.size() < kFixed || n > kMaxHostBytes || m > kMaxCpuBytes || b.size() != kFixed + size_t(n) + m) {
    throw RemoteError("malformed identity record from rank " + std::to_string(rank) + " (" +
                      std::to_string(b.size()) + " bytes)");
  }
  Identity id;
  std::memcpy(&id.pid, b.data() + 4, 4);
  std::memcpy(&id.choosing, b.data() + 8, 8);
  std::memcpy(&id.transports, b.data() + 16, 8);
  std::memcpy(&id.ucxNet, b.data() + 24, 4);
  const auto* g = reinterpret_cast<const char*>(b.data()) + 28;
  if (std::any_of(g, g + kGpuBytes, [](char c) { return c != 0; })) id.gpu.assign(g, kGpuBytes);
  id.host.assign(reinterpret_cast<const char*>(b.data()) + kFixed, n);
  id.cpus.assign(reinterpret_cast<const char*>(b.data()) + kFixed + n, m);
  return id;
}

}  // namespace weft::runtime
