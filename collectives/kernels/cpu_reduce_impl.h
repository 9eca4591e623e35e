// SPDX-License-Identifier: Apache-2.0
// The one reduce-kernel template and its table, instantiated by each SIMD level's translation unit.
#pragma once

#include <array>
#include <cstddef>
#include <tuple>
#include <type_traits>
#include <utility>

#include "collectives/kernels/cpu_formats.h"
#include "collectives/kernels/kernel_table.h"

namespace weft::coll::reduce::detail {
// Note [One template, three levels]
// cpu_reduce_{generic,avx2,avx512}.cc include this header and are compiled with different -m
// flags. Everything here (and in cpu_formats.h) sits in an unnamed namespace so that each of them
// gets its own internal copy: an inline or template function with external linkage would be
// emitted in all three and merged by the linker, which could then run the AVX-512 copy on a CPU
// without AVX-512. For the same reason the kernels call no out-of-line library function.
namespace {

// Operators on the compute type. Max and Min propagate NaN whichever side it is on.
template <class C>
bool isNan(C v) {
  if constexpr (std::is_floating_point_v<C>) {
    return v != v;
  } else {
    return false;
  }
}

struct Sum {
  template <class C>
  static C apply(C a, C b) {
    static_assert(std::is_floating_point_v<C> || std::is_unsigned_v<C>, "see Wrapping<>");
    return static_cast<C>(a + b);
  }
};
struct Prod {
  template <class C>
  static C apply(C a, C b) {
    static_assert(std::is_floating_point_v<C> || std::is_unsigned_v<C>, "see Wrapping<>");
    return static_cast<C>(a * b);
  }
};
struct Max {
  template <class C>
  static C apply(C a, C b) {
    return (a > b || isNan(a)) ? a : b;
  }
};
struct Min {
  template <class C>
  static C apply(C a, C b) {
    return (a < b || isNan(a)) ? a : b;
  }
};

// always_inline: GCC's default budget leaves the bulky fp16 conversions out of line, and a call
// in the loop body stops it from vectorizing.
template <class F, class Op>
[[gnu::always_inline]] inline typename F::Storage combine(typename F::Storage a,
                                                          typename F::Storage b) {
  return F::narrow(Op::apply(F::widen(a), F::widen(b)));
}

// Note [Aliasing]
// dst may be a or b (in place). With plain pointers the compiler would guard the vector loop by
// a runtime overlap test, which dst == a fails, and in-place calls would run scalar. So each case
// gets its own loop whose pointers never alias, declared __restrict.
template <class F, class Op>
void reduceOutOfPlace(typename F::Storage* __restrict d, const typename F::Storage* __restrict a,
                      const typename F::Storage* __restrict b, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] = combine<F, Op>(a[i], b[i]);
}

// kDstIsA: d holds a (the left operand) and `other` is b; otherwise the reverse. Operand order
// matters for which NaN payload survives.
template <class F, class Op, bool kDstIsA>
void reduceInPlace(typename F::Storage* __restrict d, const typename F::Storage* __restrict other,
                   size_t n) {
  for (size_t i = 0; i < n; ++i)
    d[i] = kDstIsA ? combine<F, Op>(d[i], other[i]) : combine<F, Op>(other[i], d[i]);
}

template <class F, class Op>
void reduceSelf(typename F::Storage* d, size_t n) {
  for (size_t i = 0; i < n; ++i) d[i] = combine<F, Op>(d[i], d[i]);
}

// Note [Staged conversion]
// For formats whose conversions are block intrinsics (fp16 with F16C), each chunk of a and b is
// widened into stack buffers, combined there by a plain vectorized loop, and narrowed into dst.
// A chunk is read in full before it is written, so this also covers dst == a and/or dst == b.
constexpr size_t kChunk = 256;  // 2 x 1 KiB of fp32 on the stack: stays in L1

template <class F, class Op>
void reduceStaged(typename F::Storage* d, const typename F::Storage* a,
                  const typename F::Storage* b, size_t n) {
  using C = typename F::Compute;
  alignas(64) C x[kChunk];
  alignas(64) C y[kChunk];
  for (size_t i = 0; i < n; i += kChunk) {
    const size_t m = n - i < kChunk ? n - i : kChunk;
    F::widenBlock(a + i, x, m);
    F::widenBlock(b + i, y, m);
    for (size_t j = 0; j < m; ++j) x[j] = Op::apply(x[j], y[j]);
    F::narrowBlock(x, d + i, m);
  }
}

// The kernel: one template over (format, op), entered through the table.
template <class F, class Op>
void reduceKernel(void* dst, const void* a, const void* b, size_t n) {
  using S = typename F::Storage;
  auto* d = static_cast<S*>(dst);
  const auto* x = static_cast<const S*>(a);
  const auto* y = static_cast<const S*>(b);
  if constexpr (F::kStaged) {
    reduceStaged<F, Op>(d, x, y, n);
  } else if (dst == a && dst == b) {
    reduceSelf<F, Op>(d, n);
  } else if (dst == a) {
    reduceInPlace<F, Op, true>(d, y, n);
  } else if (dst == b) {
    reduceInPlace<F, Op, false>(d, x, n);
  } else {
    reduceOutOfPlace<F, Op>(d, x, y, n);
  }
}

// The last step of Avg. Integers divide in their promoted type (so an int8 value divided by 200
// is 0, not a division by a wrapped divisor), truncating toward zero; there is no SIMD integer
// division, so that loop stays scalar. Floats divide exactly, not by a rounded reciprocal.
template <class F>
void divideKernel(void* dst, size_t n, int divisor) {
  using C = typename F::Compute;
  auto* d = static_cast<typename F::Storage*>(dst);
  if constexpr (F::kStaged) {
    alignas(64) C x[kChunk];
    for (size_t i = 0; i < n; i += kChunk) {
      const size_t m = n - i < kChunk ? n - i : kChunk;
      F::widenBlock(d + i, x, m);
      for (size_t j = 0; j < m; ++j) x[j] = static_cast<C>(x[j] / divisor);
      F::narrowBlock(x, d + i, m);
    }
  } else {
    for (size_t i = 0; i < n; ++i) d[i] = F::narrow(static_cast<C>(F::widen(d[i]) / divisor));
  }
}

// Formats in DataType order: Int8, Uint8, Int32, Uint32, Int64, Uint64, Float16, Float32,
// Float64, Bfloat16.
using Formats =
    std::tuple<Native<int8_t>, Native<uint8_t>, Native<int32_t>, Native<uint32_t>, Native<int64_t>,
               Native<uint64_t>, Half, Native<float>, Native<double>, BFloat16>;
static_assert(std::tuple_size_v<Formats> == kNumDataTypes);

// One row per datatype, indexed by ReduceOp. Avg reduces as Sum; divide() finishes it.
template <class F>
constexpr std::array<ReduceFn, kNumReduceOps> kernelRow() {
  using W = typename Wrapping<F>::type;
  return {&reduceKernel<W, Sum>, &reduceKernel<W, Prod>, &reduceKernel<F, Max>,
          &reduceKernel<F, Min>, &reduceKernel<W, Sum>};
}

template <size_t... I>
constexpr KernelTable makeKernelTable(std::index_sequence<I...>) {
  return KernelTable{{kernelRow<std::tuple_element_t<I, Formats>>()...},
                     {&divideKernel<std::tuple_element_t<I, Formats>>...}};
}

constexpr KernelTable makeKernelTable() {
  return makeKernelTable(std::make_index_sequence<kNumDataTypes>{});
}

}  // namespace
}  // namespace weft::coll::reduce::detail
