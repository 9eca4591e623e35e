// SPDX-License-Identifier: Apache-2.0
// The reduce kernels for AVX2 + FMA + F16C CPUs (Haswell, Zen and later); flags in meson.build.
#include "collectives/kernels/cpu_reduce_impl.h"

#if !defined(__AVX2__) || !defined(__F16C__)
#error "cpu_reduce_avx2.cc must be built with -mavx2 -mfma -mf16c (see meson.build)"
#endif

namespace weft::coll::reduce::detail {

extern constexpr KernelTable kAvx2Kernels = makeKernelTable();

}  // namespace weft::coll::reduce::detail
