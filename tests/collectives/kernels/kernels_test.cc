// SPDX-License-Identifier: Apache-2.0
// Sweeps every SIMD level x datatype x op x length x aliasing against the scalar reference.
#include <catch2/catch.hpp>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "collectives/kernels/reduce.h"
#include "tests/collectives/kernels/isa_guard.h"
#include "tests/collectives/kernels/reference.h"

namespace weft::coll::test {
namespace {

// Around every vector width and tail: 16 fp32 lanes per zmm, 64 int8 lanes.
const std::vector<size_t> kLengths{0, 1, 7, 15, 16, 17, 31, 33, 63, 64, 65, 1000, 4099};
constexpr size_t kGuard = 8;  // elements after the end that must stay untouched

enum class Alias { None, DstIsA, DstIsB, All };

// Random bits: every exponent, subnormals, infinities, NaNs and integer extremes turn up. Some
// pairs are made equal (max/min ties) and some zeros signed, so those paths run too.
template <class E>
void fill(std::mt19937_64& rng, std::vector<typename E::Storage>& a,
          std::vector<typename E::Storage>& b) {
  using S = typename E::Storage;
  for (size_t i = 0; i < a.size(); ++i) {
    uint64_t bits[2] = {rng(), rng()};
    std::memcpy(&a[i], &bits[0], sizeof(S));
    std::memcpy(&b[i], &bits[1], sizeof(S));
    if (bits[0] % 16 == 0) b[i] = a[i];
    if (bits[0] % 16 == 1) a[i] = E::fromDouble(bits[1] % 2 ? -0.0 : 0.0);
  }
}

template <class S>
std::string show(S v) {
  std::ostringstream out;
  if constexpr (sizeof(S) == 1)
    out << static_cast<int>(v);
  else
    out << v;
  return out.str();
}

// Runs one case; returns "" or a description of the first wrong element.
template <class E>
std::string checkApply(ReduceOp op, size_t n, Alias alias, size_t offset, uint64_t seed) {
  using S = typename E::Storage;
  std::mt19937_64 rng(seed);
  std::vector<S> a(n), b(n);
  fill<E>(rng, a, b);
  if (alias == Alias::All) b = a;
  std::vector<S> want(n);
  for (size_t i = 0; i < n; ++i) want[i] = refOp<E>(op, a[i], b[i]);

  // Work buffers start at `offset` elements, so the kernels see unaligned pointers too.
  std::vector<S> bufA(offset + n), bufB(offset + n), out(offset + n + kGuard);
  std::memset(out.data(), 0xA5, out.size() * sizeof(S));
  std::copy(a.begin(), a.end(), bufA.begin() + offset);
  std::copy(b.begin(), b.end(), bufB.begin() + offset);
  const std::vector<S> guard(out.begin() + offset + n, out.end());
  S* pa = bufA.data() + offset;
  S* pb = bufB.data() + offset;
  S* dst = out.data() + offset;
  switch (alias) {
    case Alias::None:
      break;
    case Alias::DstIsA:
      std::copy(a.begin(), a.end(), dst);
      pa = dst;
      break;
    case Alias::DstIsB:
      std::copy(b.begin(), b.end(), dst);
      pb = dst;
      break;
    case Alias::All:
      std::copy(a.begin(), a.end(), dst);
      pa = pb = dst;
      break;
  }
  reduce::apply(op, E::kType, dst, pa, pb, n);

  for (size_t i = 0; i < n; ++i) {
    if (!sameResult<E>(op, dst[i], want[i])) {
      return "element " + std::to_string(i) + ": " + show(a[i]) + " " + opName(op) + " " +
             show(b[i]) + " gave " + show(dst[i]) + ", want " + show(want[i]);
    }
  }
  if (std::memcmp(guard.data(), dst + n, kGuard * sizeof(S)) != 0) return "wrote past the end";
  return "";
}

template <class E>
std::string checkDivide(size_t n, int divisor, uint64_t seed) {
  using S = typename E::Storage;
  std::mt19937_64 rng(seed);
  std::vector<S> a(n), unused(n);
  fill<E>(rng, a, unused);
  std::vector<S> out(n + kGuard, S{});
  std::copy(a.begin(), a.end(), out.begin());
  reduce::divide(E::kType, out.data(), n, divisor);
  for (size_t i = 0; i < n; ++i) {
    const S want = refDivide<E>(a[i], divisor);
    if (!sameResult<E>(ReduceOp::Sum, out[i], want)) {
      return "element " + std::to_string(i) + ": " + show(a[i]) + " / " + std::to_string(divisor) +
             " gave " + show(out[i]) + ", want " + show(want);
    }
  }
  for (size_t i = n; i < out.size(); ++i) {
    if (!(out[i] == S{})) return "wrote past the end";
  }
  return "";
}

}  // namespace

TEMPLATE_TEST_CASE("apply matches the scalar reference at every level, length and aliasing",
                   "[kernels]", I8, U8, I32, U32, I64, U64, F16, F32, F64, BF16) {
  const std::string level = GENERATE(from_range(kLevels));
  const ReduceOp op =
      GENERATE(ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min, ReduceOp::Avg);
  ForcedIsa isa(level);
  if (!isa.ok()) return;
  CAPTURE(level, dtypeName(TestType::kType), opName(op));
  uint64_t seed = 1;
  for (const Alias alias : {Alias::None, Alias::DstIsA, Alias::DstIsB, Alias::All}) {
    for (const size_t offset : {0, 1}) {
      for (const size_t n : kLengths) {
        CAPTURE(static_cast<int>(alias), offset, n);
        CHECK(checkApply<TestType>(op, n, alias, offset, seed++) == "");
      }
    }
  }
}

TEMPLATE_TEST_CASE("divide matches the scalar reference at every level", "[kernels]", I8, U8, I32,
                   U32, I64, U64, F16, F32, F64, BF16) {
  const std::string level = GENERATE(from_range(kLevels));
  ForcedIsa isa(level);
  if (!isa.ok()) return;
  CAPTURE(level, dtypeName(TestType::kType));
  uint64_t seed = 100;
  for (const int divisor : {1, 2, 3, 7, 8, 255, 1000}) {
    for (const size_t n : kLengths) {
      CAPTURE(divisor, n);
      CHECK(checkDivide<TestType>(n, divisor, seed++) == "");
    }
  }
}

}  // namespace weft::coll::test
