// SPDX-License-Identifier: Apache-2.0
// The CUDA reduce kernels against the CPU kernels (collectives/kernels/reduce.h): every datatype
// and op, counts around the 16-byte vector width and large ones, aligned and misaligned buffers,
// in place on either input; results bitwise equal (finite inputs: both round fp16/bf16 from fp32
// to nearest even, and IEEE add, multiply and divide are exact-rounded on both); NaN as NaN.
// Work is enqueued on a stream of its own with one synchronisation at the end, so a kernel that
// ignored the stream's order would read its inputs before their copies landed.
// Without a GPU (or driver) it exits 77: skipped.
#include <cuda_runtime.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "collectives/kernels/cuda_reduce.h"
#include "collectives/kernels/reduce.h"
#include "common/error.h"

namespace coll = weft::coll;

namespace {

int failures = 0;

void expect(bool ok, const std::string& what) {
  if (ok) return;
  if (++failures <= 20) std::fprintf(stderr, "FAIL: %s\n", what.c_str());
}

void cudaOk(cudaError_t e, const char* what) {
  if (e == cudaSuccess) return;
  std::fprintf(stderr, "FAIL: %s: %s\n", what, cudaGetErrorString(e));
  std::exit(1);
}

// Random elements valid for the type: any bits for integers, finite values for floats (made by
// the CPU's own conversion for fp16/bf16, through a float of moderate size).
std::vector<unsigned char> randomBuffer(coll::DataType dt, size_t n, std::mt19937_64& rng) {
  const size_t elem = coll::dtypeSize(dt);
  std::vector<unsigned char> out(n * elem);
  std::uniform_real_distribution<float> f(-8.0f, 8.0f);
  for (size_t i = 0; i < n; ++i) {
    unsigned char* p = out.data() + i * elem;
    if (dt == coll::DataType::Float32) {
      const float v = f(rng);
      std::memcpy(p, &v, 4);
    } else if (dt == coll::DataType::Float64) {
      const double v = double(f(rng)) * (1 + 1e-9 * double(rng() % 1000));
      std::memcpy(p, &v, 8);
    } else if (dt == coll::DataType::Float16 || dt == coll::DataType::Bfloat16) {
      // A float's top half is a bf16; for fp16 keep the exponent in range (|v| < 2^15).
      uint16_t h = uint16_t(rng());
      if (dt == coll::DataType::Float16) h = uint16_t((h & 0x83FF) | (uint16_t(rng() % 30) << 10));
      if (dt == coll::DataType::Bfloat16) h = uint16_t((h & 0x807F) | (uint16_t(112 + rng() % 32) << 7));
      std::memcpy(p, &h, 2);
    } else {
      const uint64_t v = rng();
      std::memcpy(p, &v, elem);
    }
  }
  return out;
}

bool isNanAt(coll::DataType dt, const unsigned char* p) {
  switch (dt) {
    case coll::DataType::Float32: { float v; std::memcpy(&v, p, 4); return std::isnan(v); }
    case coll::DataType::Float64: { double v; std::memcpy(&v, p, 8); return std::isnan(v); }
    case coll::DataType::Float16: { uint16_t h; std::memcpy(&h, p, 2); return (h & 0x7C00) == 0x7C00 && (h & 0x3FF); }
    case coll::DataType::Bfloat16: { uint16_t h; std::memcpy(&h, p, 2); return (h & 0x7F80) == 0x7F80 && (h & 0x7F); }
    default: return false;
  }
}

// First element where got and want differ (NaN matches NaN), or -1.
long firstDifference(coll::DataType dt, const std::vector<unsigned char>& got, const std::vector<unsigned char>& want) {
  const size_t elem = coll::dtypeSize(dt);
  for (size_t i = 0; i * elem < want.size(); ++i) {
    const unsigned char* g = got.data() + i * elem;
    const unsigned char* w = want.data() + i * elem;
    if (std::memcmp(g, w, elem) != 0 && !(isNanAt(dt, g) && isNanAt(dt, w))) return long(i);
  }
  return -1;
}

enum class Layout { OutOfPlace, IntoA, IntoB };

// One case: host inputs a, b (n elements at byte offset `shift` in their device buffers).
void runCase(coll::ReduceOp op, coll::DataType dt, size_t n, size_t shift, Layout layout, cudaStream_t stream,
             std::mt19937_64& rng) {
  const size_t elem = coll::dtypeSize(dt), bytes = n * elem;
  const auto a = randomBuffer(dt, n, rng), b = randomBuffer(dt, n, rng);
  std::vector<unsigned char> want(bytes), got(bytes, 0xEE);
  coll::reduce::apply(op, dt, want.data(), a.data(), b.data(), n);
  unsigned char *da = nullptr, *db = nullptr, *dd = nullptr;
  cudaOk(cudaMalloc(&da, bytes + 64), "cudaMalloc");
  cudaOk(cudaMalloc(&db, bytes + 64), "cudaMalloc");
  cudaOk(cudaMalloc(&dd, bytes + 64), "cudaMalloc");
  cudaOk(cudaMemcpyAsync(da + shift, a.data(), bytes, cudaMemcpyHostToDevice, stream), "copy a");
  cudaOk(cudaMemcpyAsync(db + shift, b.data(), bytes, cudaMemcpyHostToDevice, stream), "copy b");
  unsigned char* dst = layout == Layout::IntoA ? da + shift : layout == Layout::IntoB ? db + shift : dd + shift;
  coll::reduce::cuda::apply(op, dt, dst, da + shift, db + shift, n, stream);
  cudaOk(cudaMemcpyAsync(got.data(), dst, bytes, cudaMemcpyDeviceToHost, stream), "copy back");
  cudaOk(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  const long at = firstDifference(dt, got, want);
  expect(at < 0, std::string("reduce ") + coll::opName(op) + " " + coll::dtypeName(dt) + " n=" + std::to_string(n) +
                     " shift=" + std::to_string(shift) + " layout=" + std::to_string(int(layout)) +
                     ": first difference at element " + std::to_string(at));
  // Avg's last step.
  if (op == coll::ReduceOp::Avg) {
    for (int divisor : {1, 3, 8}) {
      std::vector<unsigned char> cpu = want;
      coll::reduce::divide(dt, cpu.data(), n, divisor);
      cudaOk(cudaMemcpyAsync(dd + shift, want.data(), bytes, cudaMemcpyHostToDevice, stream), "copy");
      coll::reduce::cuda::divide(dt, dd + shift, n, divisor, stream);
      cudaOk(cudaMemcpyAsync(got.data(), dd + shift, bytes, cudaMemcpyDeviceToHost, stream), "copy back");
      cudaOk(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
      const long d = firstDifference(dt, got, cpu);
      expect(d < 0, std::string("divide ") + coll::dtypeName(dt) + " n=" + std::to_string(n) + " by " +
                        std::to_string(divisor) + ": first difference at element " + std::to_string(d));
    }
  }
  cudaFree(da);
  cudaFree(db);
  cudaFree(dd);
}

}  // namespace

int main() {
  std::string why;
  if (!coll::reduce::cuda::available(&why)) {
    std::printf("cuda_reduce_test: skipped, no usable GPU (%s)\n", why.c_str());
    return 77;
  }
  cudaStream_t stream = nullptr;
  cudaOk(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  std::mt19937_64 rng(20261129);
  int cases = 0;
  for (int t = 0; t < coll::kNumDataTypes; ++t) {
    const auto dt = coll::DataType(t);
    for (int o = 0; o < coll::kNumReduceOps; ++o) {
      const auto op = coll::ReduceOp(o);
      for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(15), size_t(16), size_t(17), size_t(1000), size_t(65537),
                       (size_t(1) << 20) + 3}) {
        for (size_t shift : {size_t(0), coll::dtypeSize(dt)}) {
          for (Layout layout : {Layout::OutOfPlace, Layout::IntoA, Layout::IntoB}) {
            runCase(op, dt, n, shift, layout, stream, rng);
            ++cases;
          }
        }
      }
    }
  }
  // Bad arguments are refused before any launch.
  bool refused = false;
  try {
    coll::reduce::cuda::apply(coll::ReduceOp::Sum, coll::DataType(42), nullptr, nullptr, nullptr, 1, stream);
  } catch (const weft::InvalidArgument&) {
    refused = true;
  }
  expect(refused, "an unknown datatype is refused");
  cudaStreamDestroy(stream);
  std::printf("cuda_reduce_test: %d cases, %d failed\n", cases, failures);
  return failures == 0 ? 0 : 1;
}
