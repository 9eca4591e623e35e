// SPDX-License-Identifier: Apache-2.0
// Reader for IDX files (the MNIST container format), gzip-compressed or plain.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace weft::train {

// One IDX array of unsigned bytes, dims outermost first.
struct IdxArray {
  std::vector<uint32_t> dims;  // e.g. {60000, 28, 28}
  std::vector<uint8_t> data;   // product(dims) bytes, row-major
};

// Arrays above this many bytes are rejected: a corrupt header must not make us allocate without bound.
inline constexpr uint64_t kIdxMaxBytes = uint64_t(1) << 30;

// Reads the whole file at `path`; zlib reads gzip and plain files alike. Only element type 0x08 (unsigned
// byte) and 1..4 dims are supported. Blocks on file I/O; reentrant.
// Throws std::runtime_error whose message starts with the path and says what is wrong: cannot open, bad magic,
// unsupported type, bad dims, too large, truncated, trailing bytes, or zlib's own message for a read error or a
// corrupt stream.
IdxArray readIdx(const std::string& path);

// The same from the bytes of such a file in memory (gzip or plain), read through the same zlib path; errors start
// with `name`. For tests and fuzzing.
IdxArray parseIdx(std::span<const uint8_t> bytes, const std::string& name);

}  // namespace weft::train
