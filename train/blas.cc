// SPDX-License-Identifier: Apache-2.0
// BLAS thread count (OpenBLAS's own call, declared in its cblas.h).
#include "train/blas.h"

namespace weft::train {

void setBlasThreads(int n) { openblas_set_num_threads(n); }

}  // namespace weft::train
