// SPDX-License-Identifier: Apache-2.0
// SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104), for proving knowledge of the job secret
// (Note [Job secret] in common/auth.h). Small and dependency-free; checked against the
// published test vectors in tests/common/hmac_test.cc.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace weft {

using Digest = std::array<uint8_t, 32>;

// Incremental SHA-256.
class Sha256 {
 public:
  Sha256();
  void update(std::span<const uint8_t> data);
  Digest finish();

 private:
  void block(const uint8_t* p);
  std::array<uint32_t, 8> h_;
  std::array<uint8_t, 64> buf_{};
  size_t used_ = 0;
  uint64_t total_ = 0;
};

Digest sha256(std::span<const uint8_t> data);

// HMAC-SHA256 of the concatenation of `parts` under `key`.
Digest hmacSha256(std::span<const uint8_t> key, std::initializer_list<std::span<const uint8_t>> parts);

// Compares in time independent of where they differ.
bool equalDigests(const Digest& a, const Digest& b);

}  // namespace weft
