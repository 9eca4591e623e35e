// SPDX-License-Identifier: Apache-2.0
// The device ring's kernels (Note [Device ring]): one block per channel, the schedule of
// ring_program.h over CUDA threads, one kernel per (datatype, op) in a table. Compiled by nvcc
// alone into a plain object (collectives/meson.build): the launch reports errors as text.
#include <cuda_runtime.h>

#include <array>
#include <cstdint>
#include <tuple>
#include <utility>

#include "collectives/device/ring_program.h"
#include "collectives/kernels/cuda_formats.cuh"

namespace weft::coll::devring {
namespace {

using namespace weft::coll::cudafmt;

constexpr unsigned kThreads = 512;

// Loads of what another GPU or process wrote go to L2 (ld.global.cg): this SM's L1 may hold the
// slot's bytes from its last round.
__device__ __forceinline__ uint4 loadShared(const uint4* p) { return __ldcg(p); }

__device__ __forceinline__ bool aligned16(const void* a, const void* b, const void* c) {
  return ((reinterpret_cast<uintptr_t>(a) | reinterpret_cast<uintptr_t>(b) | reinterpret_cast<uintptr_t>(c)) & 15) == 0;
}

// A block of kThreads threads runs one channel. Waits are thread 0's, the block following at a
// barrier; publishing fences every thread's stores (system scope: the reader may be another GPU
// or process) before thread 0 raises the counter.
template <class F, class W, class Op>
class DeviceContext {
 public:
  __device__ DeviceContext(const RingJob& j, int* stop) : j_(j), stop_(stop) {}

  __device__ unsigned char* at(unsigned char* p) const { return p; }
  __device__ bool stopped() const { return *j_.abort != 0; }

  __device__ bool waitAtLeast(const uint64_t* p, uint64_t v) const {
    if (threadIdx.x == 0) {
      int stop = 0;
      const volatile uint64_t* flag = p;
      for (unsigned spins = 1; *flag < v; ++spins) {
        if (spins % 1024 == 0 && stopped()) {
          stop = 1;
          break;
        }
      }
      __threadfence_system();  // acquire: the writer may be another GPU (system scope)
      *stop_ = stop;
    }
    __syncthreads();
    const bool ok = *stop_ == 0;
    __syncthreads();  // before a later wait's thread 0 writes *stop_ again
    return ok;
  }

  // Every thread's stores, then the barrier, then thread 0's fence and store: the barrier orders
  // the others' stores before thread 0's fence, which (cumulative) orders them before the
  // counter at system scope. The fence of every thread before the barrier is belt and braces.
  __device__ void publish(uint64_t* p, uint64_t v) const {
    __threadfence_system();
    __syncthreads();
    if (threadIdx.x == 0) {
      __threadfence_system();
      *static_cast<volatile uint64_t*>(p) = v;
    }
  }

  // Thread 0's `v`, for every thread: decisions before a barrier must be the block's, not each
  // thread's own look at memory another agent may change meanwhile.
  __device__ bool uniform(bool v) const {
    if (threadIdx.x == 0) *stop_ = v ? 1 : 0;
    __syncthreads();
    const bool out = *stop_ != 0;
    __syncthreads();  // before a later use of *stop_
    return out;
  }

  // Thread 0's stores, ordered before the counter by publish()'s fence.
  __device__ void putStamp(unsigned char* p, const uint64_t s[2]) const {
    if (threadIdx.x == 0) {
      volatile uint64_t* q = reinterpret_cast<volatile uint64_t*>(p);
      q[0] = s[0];
      q[1] = s[1];
    }
  }

  // Every thread loads it (the same 16 bytes, after the wait that saw them published).
  __device__ void readStamp(const unsigned char* p, uint64_t s[2]) const {
    const uint4 v = loadShared(reinterpret_cast<const uint4*>(p));
    s[0] = uint64_t(v.x) | uint64_t(v.y) << 32;
    s[1] = uint64_t(v.z) | uint64_t(v.w) << 32;
  }

  // One report per channel (this block's): plain stores, the flag last, then the abort word so
  // that every block of this kernel stops.
  __device__ void reportMismatch(MismatchReport* r, int from, const uint64_t got[2]) const {
    if (threadIdx.x == 0) {
      volatile MismatchReport* v = r;
      v->got[0] = got[0];
      v->got[1] = got[1];
      v->want[0] = j_.stamp[0];
      v->want[1] = j_.stamp[1];
      v->from = from;
      __threadfence_system();
      v->posted = 1;
      __threadfence_system();
      *j_.abort = 1;
    }
    __syncthreads();
  }

  __device__ void copy(unsigned char* dst, unsigned char* dst2, const unsigned char* src, uint64_t bytes) const {
    if (dst != src || dst2 != nullptr) {
      if (aligned16(dst, dst2 != nullptr ? dst2 : dst, src)) {
        const uint64_t n = bytes / 16;
        for (uint64_t i = threadIdx.x; i < n; i += blockDim.x) {
          const uint4 v = loadShared(reinterpret_cast<const uint4*>(src) + i);
          reinterpret_cast<uint4*>(dst)[i] = v;
          if (dst2 != nullptr) reinterpret_cast<uint4*>(dst2)[i] = v;
        }
        for (uint64_t i = n * 16 + threadIdx.x; i < bytes; i += blockDim.x) copyByte(dst, dst2, src, i);
      } else {
        for (uint64_t i = threadIdx.x; i < bytes; i += blockDim.x) copyByte(dst, dst2, src, i);
      }
    }
    __syncthreads();
  }

  // dst[i] = a[i] op b[i] (then / size for Avg where final), also into dst2 when given.
  __device__ void reduce(unsigned char* dst, unsigned char* dst2, const unsigned char* a, const unsigned char* b,
                         uint64_t n, bool final) const {
    using S = typename W::Storage;
    constexpr uint64_t kPer = sizeof(uint4) / sizeof(S);
    const bool divide = final && j_.op == 4;  // ReduceOp::Avg
    auto* d = reinterpret_cast<S*>(dst);
    auto* d2 = reinterpret_cast<S*>(dst2);
    const auto* x = reinterpret_cast<const S*>(a);
    const auto* y = reinterpret_cast<const S*>(b);
    const uint64_t nvec = aligned16(dst, dst2 != nullptr ? dst2 : dst, a) && aligned16(b, b, b) ? n / kPer : 0;
    for (uint64_t v = threadIdx.x; v < nvec; v += blockDim.x) {
      union {
        uint4 raw;
        S e[kPer];
      } p, q;
      p.raw = loadShared(reinterpret_cast<const uint4*>(x) + v);
      q.raw = loadShared(reinterpret_cast<const uint4*>(y) + v);
#pragma unroll
      for (uint64_t k = 0; k < kPer; ++k) p.e[k] = finish(combine<W, Op>(p.e[k], q.e[k]), divide);
      reinterpret_cast<uint4*>(d)[v] = p.raw;
      if (d2 != nullptr) reinterpret_cast<uint4*>(d2)[v] = p.raw;
    }
    for (uint64_t i = nvec * kPer + threadIdx.x; i < n; i += blockDim.x) {
      const S r = finish(combine<W, Op>(x[i], y[i]), divide);
      d[i] = r;
      if (d2 != nullptr) d2[i] = r;
    }
    __syncthreads();
  }

 private:
  __device__ static void copyByte(unsigned char* dst, unsigned char* dst2, const unsigned char* src, uint64_t i) {
    const unsigned char c = static_cast<const volatile unsigned char*>(src)[i];
    dst[i] = c;
    if (dst2 != nullptr) dst2[i] = c;
  }
  // Avg's division, as reduce::divide does it: in the signed format F, from the stored sum.
  __device__ typename W::Storage finish(typename W::Storage s, bool divide) const {
    if (!divide) return s;
    using C = typename F::Compute;
    const auto v = F::widen(static_cast<typename F::Storage>(s));
    return static_cast<typename W::Storage>(F::narrow(static_cast<C>(v / static_cast<C>(j_.size))));
  }

  const RingJob& j_;
  int* stop_;
};

template <class F, class W, class Op>
__global__ void __launch_bounds__(kThreads) ringKernel(const __grid_constant__ RingJob j) {
  __shared__ int stop;
  DeviceContext<F, W, Op> ctx(j, &stop);
  runChannel(ctx, j, blockIdx.x);
}

using Kernel = void (*)(const RingJob);

// Rows in DataType order, columns in ReduceOp order (Avg reduces as Sum), as cuda_reduce.cu.
using Formats = std::tuple<Native<int8_t>, Native<uint8_t>, Native<int32_t>, Native<uint32_t>, Native<int64_t>,
                           Native<uint64_t>, Half, Native<float>, Native<double>, BFloat16>;
constexpr int kTypes = std::tuple_size_v<Formats>;
constexpr int kOps = 5;

template <class F>
constexpr std::array<Kernel, kOps> row() {
  using W = typename Wrapping<F>::type;
  return {&ringKernel<F, W, Sum>, &ringKernel<F, W, Prod>, &ringKernel<F, F, Max>, &ringKernel<F, F, Min>,
          &ringKernel<F, W, Sum>};
}

template <size_t... I>
constexpr std::array<std::array<Kernel, kOps>, kTypes> makeTable(std::index_sequence<I...>) {
  return {row<std::tuple_element_t<I, Formats>>()...};
}

constexpr auto kTable = makeTable(std::make_index_sequence<kTypes>{});

}  // namespace

// Launches job on `stream`: nullptr once enqueued, else what went wrong. Broadcast moves bytes
// only and takes the uint8 kernel.
const char* launchRingKernel(const RingJob& job, void* stream) {
  if (job.dtype < 0 || job.dtype >= kTypes || job.op < 0 || job.op >= kOps) return "unknown datatype or op";
  const Kernel k = job.kind == RingKind::Broadcast ? kTable[1][0] : kTable[size_t(job.dtype)][size_t(job.op)];
  // cudaLaunchKernel reports this launch's own error, not one the caller left unread.
  void* args[] = {const_cast<RingJob*>(&job)};
  const cudaError_t e = cudaLaunchKernel(reinterpret_cast<const void*>(k), dim3(job.geo.channels), dim3(kThreads),
                                         args, 0, static_cast<cudaStream_t>(stream));
  return e == cudaSuccess ? nullptr : cudaGetErrorString(e);
}

}  // namespace weft::coll::devring
