// SPDX-License-Identifier: Apache-2.0
// The reduce kernels for any x86-64 (SSE2) or other CPU: the baseline every build can run.
#include "collectives/kernels/cpu_reduce_impl.h"

namespace weft::coll::reduce::detail {

extern constexpr KernelTable kGenericKernels = makeKernelTable();

}  // namespace weft::coll::reduce::detail
