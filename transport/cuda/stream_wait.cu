// SPDX-License-Identifier: Apache-2.0
// A stream waiting for a host counter: one thread polls page-locked host memory (a volatile load
// crosses PCIe or NVLink-C2C each time), napping between looks so that it takes no issue slots
// from the kernels beside it. Compiled by nvcc alone (transport/meson.build): no weft headers.
#include <cuda_runtime.h>

#include <cstdint>

namespace weft::device {
namespace {

__global__ void waitAtLeastKernel(const volatile unsigned long long* counter, unsigned long long value) {
  while (*counter < value) __nanosleep(1000);
}

}  // namespace

cudaError_t launchWaitAtLeast(cudaStream_t stream, const void* counter, uint64_t value) {
  void* mapped = nullptr;  // the same address under unified addressing; asked, not assumed
  cudaError_t e = cudaHostGetDevicePointer(&mapped, const_cast<void*>(counter), 0);
  if (e != cudaSuccess) return e;
  // cudaLaunchKernel reports this launch's own error (cudaGetLastError after <<<>>> would also
  // report one the caller left unread, as if this launch had failed).
  const volatile unsigned long long* p = static_cast<const volatile unsigned long long*>(mapped);
  unsigned long long v = value;
  void* args[] = {&p, &v};
  return cudaLaunchKernel(reinterpret_cast<const void*>(&waitAtLeastKernel), dim3(1), dim3(1), args, 0, stream);
}

}  // namespace weft::device
