// SPDX-License-Identifier: Apache-2.0
// BLAS thread count (OpenBLAS's own call, declared in its cblas.h).
#include "train/blas.h"

#include <unistd.h>

#include <cstdlib>
#include <cstring>

namespace weft::train {

void setBlasThreads(int n) { openblas_set_num_threads(n); }

const char* blasCoreName() { return openblas_get_corename(); }

void reexecWithFasterBlas(char** argv) {
  if (std::getenv("OPENBLAS_CORETYPE")) return;
  if (std::strcmp(openblas_get_corename(), "Prescott") != 0) return;
#if defined(__x86_64__)
  if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return;
  ::setenv("OPENBLAS_CORETYPE", "Haswell", 1);
  ::execv("/proc/self/exe", argv);  // same pid, arguments and (now) environment
  ::unsetenv("OPENBLAS_CORETYPE");  // exec failed: carry on as we were
#else
  (void)argv;
#endif
}

}  // namespace weft::train
