// SPDX-License-Identifier: Apache-2.0
// Host conversions between float and the 16-bit float formats, written with integer bit operations.
#include "bench/common/float16.h"

#include <bit>
#include <cmath>

namespace weft::bench {
namespace {

// Rounds `kept` (the bits that survive a right shift by `shift`) to nearest even, given the
// bits shifted out in `dropped`.
uint32_t roundNearestEven(uint32_t kept, uint32_t dropped, int shift) {
  const uint32_t halfway = 1u << (shift - 1);
  if (dropped > halfway || (dropped == halfway && (kept & 1u) != 0)) return kept + 1;
  return kept;
}

}  // namespace

uint16_t halfFromFloat(float value) {
  const uint32_t x = std::bit_cast<uint32_t>(value);
  const auto sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t magnitude = x & 0x7fffffffu;
  if (magnitude > 0x7f800000u) return sign | 0x7e00u;  // NaN (quiet)
  // 65520 is halfway between the largest half (65504) and 65536; ties go to even, i.e. to inf.
  if (magnitude >= 0x477ff000u) return sign | 0x7c00u;
  const int exponent = static_cast<int>(magnitude >> 23) - 127;
  const uint32_t fraction = magnitude & 0x7fffffu;
  if (exponent >= -14) {  // a normal half: keep 10 of the 23 fraction bits
    const uint32_t kept = (static_cast<uint32_t>(exponent + 15) << 10) | (fraction >> 13);
    // A carry out of the fraction correctly bumps the exponent.
    return static_cast<uint16_t>(sign | roundNearestEven(kept, fraction & 0x1fffu, 13));
  }
  if (exponent < -25) return sign;  // below half of the smallest subnormal (2^-24)
  // Subnormal: units of 2^-24. The 24-bit significand is worth 2^(exponent-23) per unit.
  const uint32_t significand = fraction | 0x800000u;
  const int shift = -exponent - 1;  // 14..24
  const uint32_t kept = significand >> shift;
  const uint32_t dropped = significand & ((1u << shift) - 1);
  return static_cast<uint16_t>(sign | roundNearestEven(kept, dropped, shift));
}

float halfToFloat(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t fraction = bits & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: fraction * 2^-24
    const float magnitude = std::ldexp(static_cast<float>(fraction), -24);
    return sign != 0 ? -magnitude : magnitude;
  }
  if (exponent == 31) return std::bit_cast<float>(sign | 0x7f800000u | (fraction << 13));
  return std::bit_cast<float>(sign | ((exponent - 15 + 127) << 23) | (fraction << 13));
}

uint16_t bf16FromFloat(float value) {
  const uint32_t x = std::bit_cast<uint32_t>(value);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<uint16_t>((x >> 16) | 0x40u);  // quiet NaN
  // Adding 0x7fff plus the lowest kept bit rounds to nearest even; overflow lands on infinity.
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

float bf16ToFloat(uint16_t bits) { return std::bit_cast<float>(static_cast<uint32_t>(bits) << 16); }

}  // namespace weft::bench
