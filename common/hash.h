// SPDX-License-Identifier: Apache-2.0
// FNV-1a, for fingerprints of settings that ranks compare (not for security).
#pragma once

#include <cstdint>
#include <string_view>

namespace weft {

inline constexpr uint64_t kFnvBasis = 1469598103934665603ull;

// Hashes `s` on top of `h` (start from kFnvBasis), so that several strings can be chained.
inline uint64_t fnv1a(std::string_view s, uint64_t h = kFnvBasis) {
  for (char c : s) h = (h ^ uint8_t(c)) * 1099511628211ull;
  return h;
}

}  // namespace weft
