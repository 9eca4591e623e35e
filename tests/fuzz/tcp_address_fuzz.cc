// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a TCP transport's address blob as a peer sends it (decodeAddress). Any input is
// either decoded into a blob that passes its own checks or refused; nothing else may happen.
#include <cstddef>
#include <cstdint>
#include <span>

#include "transport/tcp/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const auto blob = weft::transport::tcp::decodeAddress(std::span(reinterpret_cast<const std::byte*>(data), size));
  if (blob && blob->magic != weft::transport::tcp::kAddressMagic) __builtin_trap();  // accepted a wrong magic
  return 0;
}
