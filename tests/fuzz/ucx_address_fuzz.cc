// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a UCX transport's address blob as a peer publishes it (decodeAddress). Anything
// accepted is for the rank that was asked about, with a live-looking pid and a worker address
// that is the non-empty rest of the blob, and encodes back to the same bytes.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "common/error.h"
#include "transport/ucx/address.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace ucx = weft::transport::ucx;
  const std::span blob(reinterpret_cast<const std::byte*>(data), size);
  try {
    const ucx::Address a = ucx::decodeAddress(blob, 1);
    if (a.header.rank != 1 || a.header.pid <= 0 || a.worker.empty() ||
        a.worker.data() + a.worker.size() != blob.data() + blob.size()) {
      __builtin_trap();
    }
    const auto again = ucx::encodeAddress(a.header, a.worker);
    if (!std::equal(again.begin(), again.end(), blob.begin(), blob.end())) __builtin_trap();
  } catch (const weft::InvalidArgument&) {
  }
  return 0;
}
