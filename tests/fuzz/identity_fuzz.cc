// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a rank's bootstrap identity record as read from the store (Identity::decode).
// Anything accepted encodes back to the same bytes.
#include <cstddef>
#include <cstdint>

#include "common/error.h"
#include "runtime/identity.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const weft::store::Bytes in(data, data + size);
  try {
    if (weft::runtime::Identity::decode(in, 3).encode() != in) __builtin_trap();
  } catch (const weft::RemoteError&) {
  }
  return 0;
}
