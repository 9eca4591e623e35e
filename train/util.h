// SPDX-License-Identifier: Apache-2.0
// Small helpers shared by the training layer: elapsed time, a byte hash, and the file error type
// the data and checkpoint readers throw.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

namespace weft::train {

inline double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

// FNV-1a, 64-bit.
inline uint64_t fnv1a(const void* data, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull;
  const auto* p = static_cast<const unsigned char*>(data);
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

// "<path>: <what>" as std::runtime_error.
[[noreturn]] inline void failFile(const std::string& path, const std::string& what) {
  throw std::runtime_error(path + ": " + what);
}

}  // namespace weft::train
