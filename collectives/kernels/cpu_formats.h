// SPDX-License-Identifier: Apache-2.0
// Element formats for the CPU kernels: how a stored value widens to the compute type and back.
#pragma once

#include <bit>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <type_traits>

#if defined(__F16C__)
#include <immintrin.h>
#endif

namespace weft::coll::reduce::detail {
// Unnamed namespace: see Note [One template, three levels] in cpu_reduce_impl.h.
namespace {

// Formats are stateless: Storage is what lives in the buffer, Compute what the op sees.
// kStaged: convert whole chunks through widenBlock/narrowBlock (see Note [Staged conversion] in
// cpu_reduce_impl.h) instead of element by element inside the loop.
template <class T>
struct Native {
  using Storage = T;
  using Compute = T;
  static constexpr bool kStaged = false;
  static T widen(T v) { return v; }
  static T narrow(T v) { return v; }
};

// Signed integer sum and product wrap around. Computing them in the unsigned type of the same
// width gives the same bits (two's complement) without signed-overflow UB, so the table points
// signed Sum/Prod at the unsigned kernels (one instantiation serves both).
template <class F>
struct Wrapping {
  using type = F;
};
template <std::signed_integral T>
struct Wrapping<Native<T>> {
  using type = Native<std::make_unsigned_t<T>>;
};

// Note [Branch-free conversions]
// GCC 12 does not vectorize _Float16 <-> float conversions (not even with F16C), and a loop
// with a data-dependent branch does not vectorize either. So the fp16/bf16 conversions below
// compute every case and pick one with selects, which compile to blends at every SIMD level.
// They never do arithmetic on float subnormals, so DAZ/FTZ set in MXCSR cannot change results.

// IEEE binary16 (1 sign, 5 exponent, 10 mantissa bits), computed in fp32. Levels with F16C
// convert blocks in hardware (vcvtph2ps/vcvtps2ph, about 10x faster than the bit arithmetic);
// the scalar functions serve the generic level and the tails.
struct Half {
  using Storage = uint16_t;
  using Compute = float;
#if defined(__F16C__)
  static constexpr bool kStaged = true;
#else
  static constexpr bool kStaged = false;
#endif

  [[gnu::always_inline]] static float widen(uint16_t h) {
    const uint32_t mag = h & 0x7FFFu;
    const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
    // Subnormal m * 2^-24: put m in the low mantissa bits of 0.5f, which is 0.5 + m * 2^-24,
    // and subtract 0.5 exactly. Normal: move the fields and rebias the exponent (15 -> 127).
    const float subnormal = std::bit_cast<float>(mag | 0x3F000000u) - 0.5f;
    const uint32_t normal = (mag << 13) + ((127u - 15u) << 23);
    const uint32_t infOrNan = (mag << 13) | 0x7F800000u;  // keeps the NaN payload
    const uint32_t bits = mag < 0x0400u   ? std::bit_cast<uint32_t>(subnormal)
                          : mag < 0x7C00u ? normal
                                          : infOrNan;
    return std::bit_cast<float>(bits | sign);
  }

  // Round to nearest, ties to even.
  [[gnu::always_inline]] static uint16_t narrow(float f) {
    const uint32_t u = std::bit_cast<uint32_t>(f);
    const uint32_t sign = (u >> 16) & 0x8000u;
    const uint32_t mag = u & 0x7FFFFFFFu;
    // Below 2^-14 the result is subnormal (or zero): adding 0.5f rounds |f| to a multiple of
    // 2^-24, the fp16 subnormal step, in the FPU's round-to-nearest-even; the low bits then
    // hold the fp16 mantissa (0x400, the smallest normal, encodes correctly too).
    const uint32_t subnormal =
        std::bit_cast<uint32_t>(std::bit_cast<float>(mag) + 0.5f) - 0x3F000000u;
    // Normal: rebias the exponent (127 -> 15, i.e. subtract 112 << 23) and add just under half
    // an fp16 ulp, plus one if the kept mantissa is odd: ties go to even. A carry out of the
    // mantissa bumps the exponent, up to infinity (0x7C00) from 65520 on.
    const uint32_t normal = (mag - (112u << 23) + 0x0FFFu + ((mag >> 13) & 1u)) >> 13;
    // 2^16 and above (incl. inf) is inf; NaN stays NaN: quiet bit set, top of payload kept.
    const uint32_t huge = mag > 0x7F800000u ? (0x7E00u | ((mag >> 13) & 0x03FFu)) : 0x7C00u;
    const uint32_t bits = mag < 0x38800000u ? subnormal : mag < 0x47800000u ? normal : huge;
    return static_cast<uint16_t>(bits | sign);
  }

  // The AVX-512 forms are the maskz ones with a full mask: the unmasked ones trip GCC 12's
  // -Wmaybe-uninitialized inside <immintrin.h> (GCC bug 105593); the code is the same.
  static void widenBlock(const uint16_t* src, float* dst, size_t n) {
    size_t i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16) {
      const __m256i h = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(src + i));
      _mm512_storeu_ps(dst + i, _mm512_maskz_cvtph_ps(0xFFFF, h));
    }
#elif defined(__F16C__)
    for (; i + 8 <= n; i += 8) {
      const __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
      _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
    }
#endif
    for (; i < n; ++i) dst[i] = widen(src[i]);
  }

  // Rounds to nearest even whatever MXCSR says (the immediate overrides it).
  static void narrowBlock(const float* src, uint16_t* dst, size_t n) {
    size_t i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16) {
      const __m256i h = _mm512_maskz_cvtps_ph(0xFFFF, _mm512_loadu_ps(src + i),
                                              _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(dst + i), h);
    }
#elif defined(__F16C__)
    for (; i + 8 <= n; i += 8) {
      const __m128i h =
          _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
      _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
    }
#endif
    for (; i < n; ++i) dst[i] = narrow(src[i]);
  }
};

// bfloat16: the top half of an fp32, computed in fp32.
// The bit arithmetic vectorizes well and is exact; AVX512_BF16's vcvtneps2bf16 would flush
// subnormals to zero, so it is not used.
struct BFloat16 {
  using Storage = uint16_t;
  using Compute = float;
  static constexpr bool kStaged = false;

  static float widen(uint16_t v) { return std::bit_cast<float>(static_cast<uint32_t>(v) << 16); }

  // Round to nearest, ties to even: add just under half a bf16 ulp, plus one if the kept part is
  // odd, and truncate. NaN would round to inf (or wrap), so it takes the quiet-NaN branch.
  static uint16_t narrow(float f) {
    const uint32_t u = std::bit_cast<uint32_t>(f);
    const uint32_t rounded = (u + 0x7FFFu + ((u >> 16) & 1u)) >> 16;
    const uint32_t quietNan = (u >> 16) | 0x0040u;
    return static_cast<uint16_t>((u & 0x7FFFFFFFu) > 0x7F800000u ? quietNan : rounded);
  }
};

}  // namespace
}  // namespace weft::coll::reduce::detail
