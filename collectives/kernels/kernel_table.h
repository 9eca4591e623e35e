// SPDX-License-Identifier: Apache-2.0
// The per-SIMD-level kernel tables that cpu_reduce.cc chooses between (internal to kernels/).
#pragma once

#include <array>
#include <cstddef>

#include "collectives/kernels/dtype.h"

namespace weft::coll::reduce::detail {

// dst[i] = a[i] (op) b[i]; dst may equal a and/or b, nothing else overlaps. n may be 0.
using ReduceFn = void (*)(void* dst, const void* a, const void* b, size_t n);
// dst[i] = dst[i] / divisor, divisor >= 1.
using DivideFn = void (*)(void* dst, size_t n, int divisor);

struct KernelTable {
  std::array<std::array<ReduceFn, kNumReduceOps>, kNumDataTypes> reduce;  // [DataType][ReduceOp]
  std::array<DivideFn, kNumDataTypes> divide;                             // [DataType]
};

// One table per level, each defined (constexpr, so constant-initialized) in its own translation
// unit, cpu_reduce_<level>.cc, built with that level's -m flags. Only call into a table whose
// level the CPU supports; the x86 levels exist only on x86-64 builds.
extern const KernelTable kGenericKernels;
#if defined(__x86_64__)
extern const KernelTable kAvx2Kernels;
extern const KernelTable kAvx512Kernels;
#endif

}  // namespace weft::coll::reduce::detail
