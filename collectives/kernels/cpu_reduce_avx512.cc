// SPDX-License-Identifier: Apache-2.0
// The reduce kernels for AVX-512 F/BW/VL/DQ CPUs (Skylake-SP and later); flags in meson.build.
#include "collectives/kernels/cpu_reduce_impl.h"

#if !defined(__AVX512F__) || !defined(__AVX512BW__) || !defined(__AVX512VL__) || \
    !defined(__AVX512DQ__)
#error "cpu_reduce_avx512.cc must be built with -mavx512f -mavx512bw -mavx512vl -mavx512dq"
#endif

namespace weft::coll::reduce::detail {

extern constexpr KernelTable kAvx512Kernels = makeKernelTable();

}  // namespace weft::coll::reduce::detail
