// SPDX-License-Identifier: Apache-2.0
// Tests of the bench's own half and bfloat16 conversions: known encodings, rounding, exact integers.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <limits>

#include "bench/common/float16.h"

using namespace weft::bench;

TEST_CASE("half encodes known values", "[bench][float16]") {
  CHECK(halfFromFloat(0.0f) == 0x0000);
  CHECK(halfFromFloat(-0.0f) == 0x8000);
  CHECK(halfFromFloat(1.0f) == 0x3c00);
  CHECK(halfFromFloat(-2.0f) == 0xc000);
  CHECK(halfFromFloat(0.5f) == 0x3800);
  CHECK(halfFromFloat(65504.0f) == 0x7bff);
  CHECK(halfFromFloat(65519.0f) == 0x7bff);  // below the halfway point to 65536
  CHECK(halfFromFloat(65520.0f) == 0x7c00);  // ties to even: infinity
  CHECK(halfFromFloat(std::numeric_limits<float>::infinity()) == 0x7c00);
  CHECK(std::isnan(halfToFloat(halfFromFloat(std::numeric_limits<float>::quiet_NaN()))));
  CHECK(halfFromFloat(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
  CHECK(halfFromFloat(std::ldexp(1.0f, -25)) == 0x0000);  // a tie, to even (zero)
  CHECK(halfFromFloat(std::ldexp(1.5f, -25)) == 0x0001);
  CHECK(halfFromFloat(std::ldexp(1.0f, -14)) == 0x0400);  // smallest normal
  // 2049 lies halfway between 2048 and 2050: ties to even keep 2048; 2051 goes to 2052.
  CHECK(halfToFloat(halfFromFloat(2049.0f)) == 2048.0f);
  CHECK(halfToFloat(halfFromFloat(2051.0f)) == 2052.0f);
  CHECK(halfToFloat(0x7bff) == 65504.0f);
  CHECK(halfToFloat(0x0001) == std::ldexp(1.0f, -24));
  CHECK(std::isinf(halfToFloat(0xfc00)));
}

TEST_CASE("every half bit pattern survives a round trip through float", "[bench][float16]") {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto h = static_cast<uint16_t>(bits);
    const float f = halfToFloat(h);
    if (std::isnan(f)) continue;
    REQUIRE(halfFromFloat(f) == h);
  }
}

TEST_CASE("bfloat16 encodes known values and rounds to nearest even", "[bench][float16]") {
  CHECK(bf16FromFloat(1.0f) == 0x3f80);
  CHECK(bf16FromFloat(-2.0f) == 0xc000);
  CHECK(bf16FromFloat(256.0f) == 0x4380);
  CHECK(bf16ToFloat(bf16FromFloat(257.0f)) == 256.0f);  // tie, to even
  CHECK(bf16ToFloat(bf16FromFloat(259.0f)) == 260.0f);  // tie, to even (upwards)
  CHECK(bf16ToFloat(bf16FromFloat(258.0f)) == 258.0f);
  CHECK(std::isinf(bf16ToFloat(bf16FromFloat(std::numeric_limits<float>::max()))));
  CHECK(std::isnan(bf16ToFloat(bf16FromFloat(std::numeric_limits<float>::quiet_NaN()))));
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto b = static_cast<uint16_t>(bits);
    const float f = bf16ToFloat(b);
    if (std::isnan(f)) continue;
    REQUIRE(bf16FromFloat(f) == b);
  }
}

TEST_CASE("integers up to 2048 (half) and 256 (bfloat16) are exact", "[bench][float16]") {
  for (int i = -2048; i <= 2048; ++i) REQUIRE(halfToFloat(halfFromFloat(float(i))) == float(i));
  for (int i = -256; i <= 256; ++i) REQUIRE(bf16ToFloat(bf16FromFloat(float(i))) == float(i));
}
