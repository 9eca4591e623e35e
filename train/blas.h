// SPDX-License-Identifier: Apache-2.0
// Matrix products for the layers: OpenBLAS's cblas_sgemm and cblas_dgemm behind one template
// (row-major, C = alpha * op(A) * op(B) + beta * C).
#pragma once

#include <cblas.h>

namespace weft::train {

inline void gemm(bool transA, bool transB, int m, int n, int k, float alpha, const float* a, int lda,
                 const float* b, int ldb, float beta, float* c, int ldc) {
  cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
              lda, b, ldb, beta, c, ldc);
}

inline void gemm(bool transA, bool transB, int m, int n, int k, double alpha, const double* a, int lda,
                 const double* b, int ldb, double beta, double* c, int ldc) {
  cblas_dgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a,
              lda, b, ldb, beta, c, ldc);
}

// Threads OpenBLAS may use (the trainer's --threads; 1 by default, one core per rank).
void setBlasThreads(int n);

// OpenBLAS's kernel family ("Haswell", "SkylakeX", "Prescott", ...).
const char* blasCoreName();

// Note [BLAS kernels]: OpenBLAS picks its kernels from the CPU model at load time and falls back to
// its oldest x86-64 ones (Prescott, SSE3; about 1.5x slower here) when it does not know the model,
// as inside VMs that hide it. When that happened, OPENBLAS_CORETYPE is unset and the CPU has AVX2
// and FMA, this re-executes the program with OPENBLAS_CORETYPE=Haswell (the choice such machines'
// own setup makes); the environment variable, when set, is always respected. Returns only when
// nothing was done (or exec failed).
void reexecWithFasterBlas(char** argv);

}  // namespace weft::train
