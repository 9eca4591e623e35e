// SPDX-License-Identifier: Apache-2.0
// CPU reduce kernels: one template, instantiated per (datatype, op) into a table, per SIMD level.
// Thread-safe (pure functions). The SIMD level is chosen once, at first use, from the CPU's features.
#pragma once

#include <cstddef>

#include "collectives/kernels/dtype.h"

namespace weft::coll::reduce {

// dst[i] = a[i] (op) b[i] for i < n. dst may be the same pointer as a or b (in-place); partial
// overlap is not allowed. Avg reduces like Sum: the division happens once, in divide().
// fp16/bf16 are computed in fp32 and rounded to nearest even; integers wrap around on overflow.
void apply(ReduceOp op, DataType dt, void* dst, const void* a, const void* b, size_t n);

// dst[i] = dst[i] / divisor, the final step of Avg: fp16/bf16 in fp32 then rounded to nearest even,
// integers by C++ integer division (truncation toward zero).
// Both throw InvalidArgument for an unknown op or datatype, a null buffer with n > 0, partial
// overlap, or divisor < 1.
void divide(DataType dt, void* dst, size_t n, int divisor);

// The SIMD level in use: "avx512", "avx2" or "generic".
const char* isaName();

// Tests only: force a level ("avx512", "avx2", "generic"); returns false if this CPU lacks it.
// "auto" returns to the best level this CPU supports (the default).
bool forceIsa(const char* name);

}  // namespace weft::coll::reduce
