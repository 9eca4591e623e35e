// SPDX-License-Identifier: Apache-2.0
// The CUDA reduce kernels' bandwidth against the device's own copy (cudaMemcpy device to device),
// and NCCL's single-rank all-reduce as a reference point where NCCL was found; run by
// tools/gpu-check. Bandwidth is memory traffic: a copy reads and writes its size, a reduce reads
// two inputs and writes one. Medians of 20 timed runs (CUDA events) after 3 untimed ones.
// Usage: cuda_reduce_bw [SIZE_MIB] (default 256). Exits 77 without a GPU.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#if WEFT_BENCH_NCCL
#include <nccl.h>
#endif

#include "collectives/kernels/cuda_reduce.h"

namespace coll = weft::coll;

namespace {

void cudaOk(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  std::fprintf(stderr, "cuda_reduce_bw: %s: %s\n", what, cudaGetErrorString(e));
  std::exit(1);
}

// Median seconds of one call of `run` on `stream`.
double medianSeconds(cudaStream_t stream, const std::function<void()>& run) {
  cudaEvent_t start, stop;
  cudaOk(cudaEventCreate(&start), "cudaEventCreate");
  cudaOk(cudaEventCreate(&stop), "cudaEventCreate");
  for (int i = 0; i < 3; ++i) run();
  std::vector<double> times;
  for (int i = 0; i < 20; ++i) {
    cudaOk(cudaEventRecord(start, stream), "cudaEventRecord");
    run();
    cudaOk(cudaEventRecord(stop, stream), "cudaEventRecord");
    cudaOk(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float ms = 0;
    cudaOk(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
    times.push_back(ms / 1000.0);
  }
  cudaEventDestroy(start);
  cudaEventDestroy(stop);
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

void row(const char* what, size_t bytes, double traffic, double seconds, double copyRate) {
  const double rate = traffic / seconds / 1e9;
  std::printf("%-28s %8zu MiB %10.3f ms %9.1f GB/s %8.2f\n", what, bytes >> 20, seconds * 1e3, rate,
              copyRate > 0 ? rate / copyRate : 1.0);
}

}  // namespace

int main(int argc, char** argv) {
  std::string why;
  if (!coll::reduce::cuda::available(&why)) {
    std::printf("cuda_reduce_bw: skipped, no usable GPU (%s)\n", why.c_str());
    return 77;
  }
  const size_t bytes = size_t(argc > 1 ? std::atol(argv[1]) : 256) << 20;
  cudaDeviceProp prop{};
  cudaOk(cudaGetDeviceProperties(&prop, 0), "cudaGetDeviceProperties");
  cudaStream_t stream;
  cudaOk(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  void *a = nullptr, *b = nullptr, *d = nullptr;
  cudaOk(cudaMalloc(&a, bytes), "cudaMalloc");
  cudaOk(cudaMalloc(&b, bytes), "cudaMalloc");
  cudaOk(cudaMalloc(&d, bytes), "cudaMalloc");
  cudaOk(cudaMemset(a, 0, bytes), "cudaMemset");
  cudaOk(cudaMemset(b, 0, bytes), "cudaMemset");
  std::printf("# %s, %d SMs; traffic GB/s (a copy reads and writes its size, a reduce reads two and writes one)\n",
              prop.name, prop.multiProcessorCount);
  std::printf("%-28s %12s %13s %14s %8s\n", "operation", "size", "median", "bandwidth", "vs copy");
  const double copy = medianSeconds(stream, [&] {
    cudaOk(cudaMemcpyAsync(d, a, bytes, cudaMemcpyDeviceToDevice, stream), "cudaMemcpyAsync");
  });
  const double copyRate = 2.0 * double(bytes) / copy / 1e9;
  row("cudaMemcpy device to device", bytes, 2.0 * double(bytes), copy, copyRate);
  struct Case {
    const char* name;
    coll::DataType dt;
    size_t elem;
  };
  for (const Case& c : {Case{"reduce float32 sum", coll::DataType::Float32, 4},
                        Case{"reduce bfloat16 sum", coll::DataType::Bfloat16, 2},
                        Case{"reduce float16 sum", coll::DataType::Float16, 2}}) {
    const double s = medianSeconds(stream, [&] {
      coll::reduce::cuda::apply(coll::ReduceOp::Sum, c.dt, d, a, b, bytes / c.elem, stream);
    });
    row(c.name, bytes, 3.0 * double(bytes), s, copyRate);
  }
#if WEFT_BENCH_NCCL
  ncclComm_t comm;
  int dev = 0;
  if (ncclCommInitAll(&comm, 1, &dev) == ncclSuccess) {
    const double s = medianSeconds(stream, [&] {
      ncclAllReduce(a, d, bytes / 4, ncclFloat32, ncclSum, comm, stream);
    });
    row("NCCL all-reduce, 1 rank", bytes, 2.0 * double(bytes), s, copyRate);
    ncclCommDestroy(comm);
  } else {
    std::printf("NCCL all-reduce, 1 rank: ncclCommInitAll failed\n");
  }
#endif
  cudaFree(a);
  cudaFree(b);
  cudaFree(d);
  cudaStreamDestroy(stream);
  return 0;
}
