// SPDX-License-Identifier: Apache-2.0
// Scalar reference for the reduce kernels, written independently of them (fp16/bf16 by ldexp).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "collectives/kernels/dtype.h"

namespace weft::coll::test {

// A binary floating-point format with kExp exponent and kMan stored mantissa bits in 16 bits.
template <int kExp, int kMan>
struct Small {
  static constexpr int kBias = (1 << (kExp - 1)) - 1;
  static constexpr uint16_t kExpMask = ((1u << kExp) - 1) << kMan;

  static double decode(uint16_t bits) {
    const int exp = (bits & kExpMask) >> kMan;
    const int man = bits & ((1 << kMan) - 1);
    double v;
    if (exp == 0) {
      v = std::ldexp(man, 1 - kBias - kMan);
    } else if (exp == (1 << kExp) - 1) {
      v = man != 0 ? NAN : INFINITY;
    } else {
      v = std::ldexp(man + (1 << kMan), exp - kBias - kMan);
    }
    return (bits & 0x8000u) ? -v : v;
  }

  // Round to nearest, ties to even (std::nearbyint in the default rounding mode).
  static uint16_t encode(double x) {
    if (std::isnan(x)) return kExpMask | (1u << (kMan - 1));
    const uint16_t sign = std::signbit(x) ? 0x8000u : 0;
    const double a = std::fabs(x);
    if (a == 0) return sign;
    if (std::isinf(a)) return sign | kExpMask;
    int e = 0;
    std::frexp(a, &e);                   // a in [2^(e-1), 2^e)
    int q = std::max(e - 1, 1 - kBias);  // exponent of the leading bit, or the minimum
    double r = std::nearbyint(std::ldexp(a, kMan - q));
    if (r >= std::ldexp(1.0, kMan + 1)) {  // rounded up to the next binade
      r /= 2;
      ++q;
    }
    if (q > kBias) return sign | kExpMask;  // overflow to infinity
    const auto m = static_cast<uint32_t>(r);
    if (m < (1u << kMan)) return static_cast<uint16_t>(sign | m);  // subnormal
    return static_cast<uint16_t>(sign | ((q + kBias) << kMan) | (m - (1u << kMan)));
  }
};
using HalfBits = Small<5, 10>;
using BfloatBits = Small<8, 7>;

enum class Kind { Integer, Float, Half, Bfloat };

// One test element type: storage, datatype, and how to read it.
template <class S, DataType D, Kind K>
struct Elem {
  using Storage = S;
  static constexpr DataType kType = D;
  static constexpr Kind kKind = K;
  static constexpr bool kIsFloat = K != Kind::Integer;

  static double toDouble(S v) {
    if constexpr (K == Kind::Half)
      return HalfBits::decode(v);
    else if constexpr (K == Kind::Bfloat)
      return BfloatBits::decode(v);
    else
      return static_cast<double>(v);
  }
  static S fromDouble(double v) {
    if constexpr (K == Kind::Half)
      return HalfBits::encode(v);
    else if constexpr (K == Kind::Bfloat)
      return BfloatBits::encode(v);
    else
      return static_cast<S>(v);
  }
};
using I8 = Elem<int8_t, DataType::Int8, Kind::Integer>;
using U8 = Elem<uint8_t, DataType::Uint8, Kind::Integer>;
using I32 = Elem<int32_t, DataType::Int32, Kind::Integer>;
using U32 = Elem<uint32_t, DataType::Uint32, Kind::Integer>;
using I64 = Elem<int64_t, DataType::Int64, Kind::Integer>;
using U64 = Elem<uint64_t, DataType::Uint64, Kind::Integer>;
using F16 = Elem<uint16_t, DataType::Float16, Kind::Half>;
using F32 = Elem<float, DataType::Float32, Kind::Float>;
using F64 = Elem<double, DataType::Float64, Kind::Float>;
using BF16 = Elem<uint16_t, DataType::Bfloat16, Kind::Bfloat>;

// Floating point reference op in type T (float for fp16/bf16: the kernels' documented precision).
template <class T>
T floatOp(ReduceOp op, T a, T b) {
  if ((op == ReduceOp::Max || op == ReduceOp::Min) && (std::isnan(a) || std::isnan(b))) return NAN;
  switch (op) {
    case ReduceOp::Sum:
    case ReduceOp::Avg:
      return a + b;
    case ReduceOp::Prod:
      return a * b;
    case ReduceOp::Max:
      return std::max(a, b);
    case ReduceOp::Min:
      return std::min(a, b);
  }
  return NAN;
}

// a (op) b as the kernels must compute it; integers wrap (done in uint64_t, then narrowed modulo
// 2^n).
template <class E>
typename E::Storage refOp(ReduceOp op, typename E::Storage a, typename E::Storage b) {
  using S = typename E::Storage;
  if constexpr (E::kKind == Kind::Integer) {
    switch (op) {
      case ReduceOp::Sum:
      case ReduceOp::Avg:
        return static_cast<S>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
      case ReduceOp::Prod:
        return static_cast<S>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
      case ReduceOp::Max:
        return std::max(a, b);
      case ReduceOp::Min:
        return std::min(a, b);
    }
    return 0;
  } else if constexpr (E::kKind == Kind::Float) {
    return floatOp<S>(op, a, b);
  } else {
    const auto fa = static_cast<float>(E::toDouble(a));  // exact: fp16 and bf16 are subsets of fp32
    const auto fb = static_cast<float>(E::toDouble(b));
    return E::fromDouble(floatOp<float>(op, fa, fb));
  }
}

template <class E>
typename E::Storage refDivide(typename E::Storage v, int divisor) {
  using S = typename E::Storage;
  if constexpr (E::kKind == Kind::Integer) {
    if constexpr (std::is_signed_v<S>)
      return static_cast<S>(static_cast<int64_t>(v) / divisor);
    else
      return static_cast<S>(static_cast<uint64_t>(v) / static_cast<uint64_t>(divisor));
  } else if constexpr (E::kKind == Kind::Float) {
    return v / static_cast<S>(divisor);
  } else {
    return E::fromDouble(static_cast<float>(E::toDouble(v)) / static_cast<float>(divisor));
  }
}

// Same result? NaN matches any NaN; max/min may pick either zero of a (+0, -0) pair; otherwise the
// bits must match (so -0 vs +0 from sum, and every rounding, is checked).
template <class E>
bool sameResult(ReduceOp op, typename E::Storage got, typename E::Storage want) {
  if constexpr (E::kIsFloat) {
    const double g = E::toDouble(got), w = E::toDouble(want);
    if (std::isnan(w)) return std::isnan(g);
    if ((op == ReduceOp::Max || op == ReduceOp::Min) && w == 0) return g == 0;
  }
  return std::memcmp(&got, &want, sizeof got) == 0;
}

}  // namespace weft::coll::test
