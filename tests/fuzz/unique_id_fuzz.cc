// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the bytes of a weftUniqueId as weftCommInitRank receives them (decodeUniqueId),
// the input zero-padded to the id's size. Anything accepted names a host, a port and a secret
// that encode to an id that decodes to the same.
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "common/error.h"
#include "runtime/unique_id.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace rt = weft::runtime;
  if (size > rt::kUniqueIdBytes) return 0;  // the C API passes exactly kUniqueIdBytes
  char id[rt::kUniqueIdBytes] = {};
  if (size > 0) std::memcpy(id, data, size);
  rt::UniqueId u;
  try {
    u = rt::decodeUniqueId(id);
  } catch (const weft::InvalidArgument&) {
    return 0;
  }
  if (u.host.empty() || u.port == 0) __builtin_trap();
  char again[rt::kUniqueIdBytes];
  rt::encodeUniqueId(u, again);  // an exception here escapes: what was accepted must encode
  const rt::UniqueId back = rt::decodeUniqueId(again);
  if (back.host != u.host || back.port != u.port || back.secret != u.secret) __builtin_trap();
  return 0;
}
