// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a shared-memory transport's address blob as a peer publishes it (decodeAddress).
// Anything accepted names a weft segment, terminated, for the rank that was asked about.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "common/error.h"
#include "transport/shm/address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace shm = weft::transport::shm;
  try {
    const shm::Address a = shm::decodeAddress(std::span(reinterpret_cast<const std::byte*>(data), size), 1);
    if (a.rank != 1 || a.pid <= 0 || std::memchr(a.name, '\0', sizeof(a.name)) == nullptr ||
        std::strncmp(a.name, "/weft-", 6) != 0 || std::strchr(a.name + 1, '/') != nullptr) {
      __builtin_trap();
    }
  } catch (const weft::InvalidArgument&) {
  }
  return 0;
}
