// SPDX-License-Identifier: Apache-2.0
// CUDA reduce kernels (Note [CUDA reduce kernels] in cuda_reduce.h): one template, a table.
#include "collectives/kernels/cuda_reduce.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "collectives/kernels/cuda_formats.cuh"
#include "common/error.h"

namespace weft::coll::reduce::cuda {
namespace {

using namespace weft::coll::cudafmt;

template <class F, class Op>
__global__ void reduceKernel(void* dst, const void* a, const void* b, size_t n, bool vectors) {
  using S = typename F::Storage;
  constexpr size_t kPer = sizeof(uint4) / sizeof(S);
  auto* d = static_cast<S*>(dst);
  const auto* x = static_cast<const S*>(a);
  const auto* y = static_cast<const S*>(b);
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  const size_t first = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
  const size_t nvec = vectors ? n / kPer : 0;
  for (size_t v = first; v < nvec; v += stride) {
    union {
      uint4 raw;
      S e[kPer];
    } p, q;
    p.raw = reinterpret_cast<const uint4*>(x)[v];
    q.raw = reinterpret_cast<const uint4*>(y)[v];
#pragma unroll
    for (size_t k = 0; k < kPer; ++k) p.e[k] = combine<F, Op>(p.e[k], q.e[k]);
    reinterpret_cast<uint4*>(d)[v] = p.raw;
  }
  for (size_t i = nvec * kPer + first; i < n; i += stride) d[i] = combine<F, Op>(x[i], y[i]);
}

template <class F>
__global__ void divideKernel(void* dst, size_t n, int divisor) {
  using C = typename F::Compute;
  auto* d = static_cast<typename F::Storage*>(dst);
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += stride) {
    d[i] = F::narrow(static_cast<C>(F::widen(d[i]) / divisor));
  }
}

[[noreturn]] void fail(const std::string& what, cudaError_t e) {
  throw CudaError("CUDA " + what + " failed: " + cudaGetErrorString(e));
}

constexpr unsigned kThreads = 512;

// Blocks for `work` items (vectors or elements): enough to fill the device a few times over,
// no more (the loops stride); the SM count is asked once per device.
unsigned blocksFor(size_t work) {
  static std::mutex mu;
  static std::vector<int> sms;  // by device, 0 until asked
  int device = 0;
  cudaError_t e = cudaGetDevice(&device);
  if (e != cudaSuccess) fail("cudaGetDevice", e);
  int count = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    if (size_t(device) >= sms.size()) sms.resize(size_t(device) + 1, 0);
    if (sms[size_t(device)] == 0) {
      e = cudaDeviceGetAttribute(&sms[size_t(device)], cudaDevAttrMultiProcessorCount, device);
      if (e != cudaSuccess) fail("cudaDeviceGetAttribute", e);
    }
    count = sms[size_t(device)];
  }
  const size_t wanted = (work + kThreads - 1) / kThreads;
  const size_t cap = size_t(count) * 4;
  return unsigned(wanted < 1 ? 1 : wanted < cap ? wanted : cap);
}

using ReduceLaunch = void (*)(void*, const void*, const void*, size_t, cudaStream_t);
using DivideLaunch = void (*)(void*, size_t, int, cudaStream_t);

template <class F, class Op>
void launchReduce(void* dst, const void* a, const void* b, size_t n, cudaStream_t stream) {
  constexpr size_t kPer = sizeof(uint4) / sizeof(typename F::Storage);
  const bool vectors = ((reinterpret_cast<uintptr_t>(dst) | reinterpret_cast<uintptr_t>(a) |
                         reinterpret_cast<uintptr_t>(b)) & (sizeof(uint4) - 1)) == 0;
  const unsigned blocks = blocksFor(vectors ? n / kPer + kPer : n);
  reduceKernel<F, Op><<<blocks, kThreads, 0, stream>>>(dst, a, b, n, vectors);
}

template <class F>
void launchDivide(void* dst, size_t n, int divisor, cudaStream_t stream) {
  divideKernel<F><<<blocksFor(n), kThreads, 0, stream>>>(dst, n, divisor);
}

// Rows in DataType order: Int8, Uint8, Int32, Uint32, Int64, Uint64, Float16, Float32,
// Float64, Bfloat16; columns in ReduceOp order (Avg reduces as Sum).
using Formats = std::tuple<Native<int8_t>, Native<uint8_t>, Native<int32_t>, Native<uint32_t>, Native<int64_t>,
                           Native<uint64_t>, Half, Native<float>, Native<double>, BFloat16>;
static_assert(std::tuple_size_v<Formats> == kNumDataTypes);

struct Table {
  std::array<std::array<ReduceLaunch, kNumReduceOps>, kNumDataTypes> reduce;
  std::array<DivideLaunch, kNumDataTypes> divide;
};

template <class F>
constexpr std::array<ReduceLaunch, kNumReduceOps> row() {
  using W = typename Wrapping<F>::type;
  return {&launchReduce<W, Sum>, &launchReduce<W, Prod>, &launchReduce<F, Max>, &launchReduce<F, Min>,
          &launchReduce<W, Sum>};
}

template <size_t... I>
constexpr Table makeTable(std::index_sequence<I...>) {
  return Table{{row<std::tuple_element_t<I, Formats>>()...}, {&launchDivide<std::tuple_element_t<I, Formats>>...}};
}

constexpr Table kTable = makeTable(std::make_index_sequence<kNumDataTypes>{});

void check(const char* what, DataType dt, size_t n, std::initializer_list<const void*> pointers) {
  if (!toDataType(int(dt))) throw InvalidArgument(std::string(what) + ": unknown datatype " + std::to_string(int(dt)));
  for (const void* p : pointers) {
    if (n > 0 && p == nullptr) throw InvalidArgument(std::string(what) + ": null buffer with count > 0");
  }
}

void launched(const char* what) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) fail(std::string("launching ") + what, e);
}

}  // namespace

bool available(std::string* why) {
  int count = 0;
  const cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess || count < 1) {
    if (why) *why = e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device";
    cudaGetLastError();  // clear it
    return false;
  }
  return true;
}

void apply(ReduceOp op, DataType dt, void* dst, const void* a, const void* b, size_t n, void* stream) {
  check("cuda::apply", dt, n, {dst, a, b});
  if (!toReduceOp(int(op))) throw InvalidArgument("cuda::apply: unknown op " + std::to_string(int(op)));
  if (n == 0) return;
  kTable.reduce[size_t(dt)][size_t(op)](dst, a, b, n, static_cast<cudaStream_t>(stream));
  launched("the reduce kernel");
}

void divide(DataType dt, void* dst, size_t n, int divisor, void* stream) {
  check("cuda::divide", dt, n, {dst});
  if (divisor < 1) throw InvalidArgument("cuda::divide: divisor " + std::to_string(divisor) + " < 1");
  if (n == 0) return;
  kTable.divide[size_t(dt)](dst, n, divisor, static_cast<cudaStream_t>(stream));
  launched("the divide kernel");
}

}  // namespace weft::coll::reduce::cuda
