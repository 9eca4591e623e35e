// SPDX-License-Identifier: Apache-2.0
// The pieces every rank check shares: guarded buffers, the data-movement pattern, descriptions.
#include "tests/collectives/rank_checks.h"

#include <cstring>

#include "tests/support/values.h"

namespace weft::test {

std::string describe(const char* coll, const Case& c) {
  return std::string(coll) + " " + typeName(c.type) + " op " + std::to_string(int(c.op)) + " count " +
         std::to_string(c.count) + " root " + std::to_string(c.root) + (c.inPlace ? " in place" : " out of place");
}

GuardedBuffer::GuardedBuffer(size_t bytes, unsigned char fill)
    : bytes_(bytes + 2 * kGuardBytes, kGuard), size_(bytes) {
  std::memset(data(), fill, bytes);
}

bool GuardedBuffer::guardsIntact() const {
  for (size_t i = 0; i < kGuardBytes; ++i) {
    if (bytes_[i] != kGuard || bytes_[kGuardBytes + size_ + i] != kGuard) return false;
  }
  return true;
}

unsigned char patternByte(int src, int dst, size_t offset) {
  // A multiplicative hash of the three: its top byte changes with every input.
  const uint64_t x = uint64_t(offset) * 0x9E3779B97F4A7C15ull + uint64_t(src + 1) * 0xBF58476D1CE4E5B9ull +
                     uint64_t(dst + 1) * 0x94D049BB133111EBull;
  return static_cast<unsigned char>((x >> 56) ^ (x >> 29));
}

void fillPattern(unsigned char* p, size_t bytes, int src, int dst) {
  for (size_t i = 0; i < bytes; ++i) p[i] = patternByte(src, dst, i);
}

std::string comparePattern(const unsigned char* p, size_t bytes, int src, int dst) {
  for (size_t i = 0; i < bytes; ++i) {
    const unsigned char want = patternByte(src, dst, i);
    if (p[i] != want) {
      return "byte " + std::to_string(i) + " of the block from rank " + std::to_string(src) + " to rank " +
             std::to_string(dst) + " is " + std::to_string(int(p[i])) + ", want " + std::to_string(int(want));
    }
  }
  return {};
}

}  // namespace weft::test
