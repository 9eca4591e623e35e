// SPDX-License-Identifier: Apache-2.0
// bench/common/device.h over the CUDA runtime (cudart, linked statically).
#include <cuda_runtime.h>

#include <stdexcept>

#include "bench/common/device.h"

namespace weft::bench::cuda {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

}  // namespace

bool usable() {
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) cudaGetLastError();
  return e == cudaSuccess && n > 0;
}

std::string useDevice(int localIndex) {
  int n = 0;
  check(cudaGetDeviceCount(&n), "cudaGetDeviceCount");
  const int device = localIndex % n;
  check(cudaSetDevice(device), "cudaSetDevice");
  cudaDeviceProp prop{};
  check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
  return "device " + std::to_string(device) + " of " + std::to_string(n) + ": " + prop.name;
}

void* alloc(size_t bytes) {
  void* p = nullptr;
  check(cudaMalloc(&p, bytes == 0 ? 1 : bytes), "cudaMalloc");
  check(cudaMemset(p, 0, bytes == 0 ? 1 : bytes), "cudaMemset");
  return p;
}

void free(void* p) noexcept { cudaFree(p); }

void* createStream() {
  cudaStream_t s = nullptr;
  check(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate");
  return s;
}

void destroyStream(void* stream) noexcept { cudaStreamDestroy(static_cast<cudaStream_t>(stream)); }

void upload(void* device, const void* host, size_t bytes, void* stream) {
  check(cudaMemcpyAsync(device, host, bytes, cudaMemcpyHostToDevice, static_cast<cudaStream_t>(stream)), "cudaMemcpyAsync");
  synchronize(stream);
}

void download(void* host, const void* device, size_t bytes, void* stream) {
  check(cudaMemcpyAsync(host, device, bytes, cudaMemcpyDeviceToHost, static_cast<cudaStream_t>(stream)), "cudaMemcpyAsync");
  synchronize(stream);
}

void synchronize(void* stream) { check(cudaStreamSynchronize(static_cast<cudaStream_t>(stream)), "cudaStreamSynchronize"); }

}  // namespace weft::bench::cuda
