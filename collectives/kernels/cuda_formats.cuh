// SPDX-License-Identifier: Apache-2.0
// The CUDA kernels' element formats and ops (Note [CUDA reduce kernels] in cuda_reduce.h): shared
// by the reduce kernels and the device ring (collectives/device/ring_cuda.cu). nvcc only.
#pragma once

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

namespace weft::coll::cudafmt {

// Formats: Storage lives in the buffer, Compute is what the op sees (as cpu_formats.h).
template <class T>
struct Native {
  using Storage = T;
  using Compute = T;
  __device__ static T widen(T v) { return v; }
  __device__ static T narrow(T v) { return v; }
};
struct Half {
  using Storage = uint16_t;
  using Compute = float;
  __device__ static float widen(uint16_t v) { return __half2float(__ushort_as_half(v)); }
  __device__ static uint16_t narrow(float f) { return __half_as_ushort(__float2half_rn(f)); }
};
struct BFloat16 {
  using Storage = uint16_t;
  using Compute = float;
  __device__ static float widen(uint16_t v) { return __bfloat162float(__ushort_as_bfloat16(v)); }
  __device__ static uint16_t narrow(float f) { return __bfloat16_as_ushort(__float2bfloat16_rn(f)); }
};
// Sum and Prod of signed integers wrap: they compute in the unsigned type of the same width.
template <class F>
struct Wrapping {
  using type = F;
};
template <>
struct Wrapping<Native<int8_t>> {
  using type = Native<uint8_t>;
};
template <>
struct Wrapping<Native<int32_t>> {
  using type = Native<uint32_t>;
};
template <>
struct Wrapping<Native<int64_t>> {
  using type = Native<uint64_t>;
};

template <class C>
__device__ bool isNan(C v) {
  return v != v;  // false for integers
}
struct Sum {
  template <class C>
  __device__ static C apply(C a, C b) { return static_cast<C>(a + b); }
};
struct Prod {
  template <class C>
  __device__ static C apply(C a, C b) { return static_cast<C>(a * b); }
};
struct Max {
  template <class C>
  __device__ static C apply(C a, C b) { return (a > b || isNan(a)) ? a : b; }
};
struct Min {
  template <class C>
  __device__ static C apply(C a, C b) { return (a < b || isNan(a)) ? a : b; }
};

template <class F, class Op>
__device__ typename F::Storage combine(typename F::Storage a, typename F::Storage b) {
  return F::narrow(Op::apply(F::widen(a), F::widen(b)));
}

}  // namespace weft::coll::cudafmt
