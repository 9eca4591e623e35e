// SPDX-License-Identifier: Apache-2.0
// Host conversions between float and the two 16-bit float formats (IEEE half, bfloat16), round to nearest even.
#pragma once

#include <cstdint>

namespace weft::bench {

// IEEE 754 binary16: 1 sign, 5 exponent, 10 fraction bits. Overflow gives infinity, NaN stays NaN,
// tiny values become subnormals or zero.
uint16_t halfFromFloat(float value);
float halfToFloat(uint16_t bits);

// bfloat16: the top 16 bits of a binary32 (8 exponent, 7 fraction bits).
uint16_t bf16FromFloat(float value);
float bf16ToFloat(uint16_t bits);

}  // namespace weft::bench
