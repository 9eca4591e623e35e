// SPDX-License-Identifier: Apache-2.0
// reduce::apply and reduce::divide: argument checks, then a call through the chosen level's table.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <iterator>
#include <string>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "collectives/kernels/kernel_table.h"
#include "collectives/kernels/reduce.h"
#include "common/error.h"

namespace weft::coll::reduce {
namespace {

struct Level {
  const char* name;
  const detail::KernelTable* table;
  bool (*supported)();
};

bool always() { return true; }

#if defined(__x86_64__)
// __builtin_cpu_supports also checks that the OS saves the AVX/AVX-512 register state (XCR0).
// F16C comes from CPUID directly: clang 14's __builtin_cpu_supports does not know "f16c".
bool hasAvx2() {
  __builtin_cpu_init();
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
  return f16c && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
bool hasAvx512() {
  return hasAvx2() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq");
}
#endif

// Best first; the last one runs everywhere.
constexpr Level kLevels[] = {
#if defined(__x86_64__)
    {"avx512", &detail::kAvx512Kernels, hasAvx512},
    {"avx2", &detail::kAvx2Kernels, hasAvx2},
#endif
    {"generic", &detail::kGenericKernels, always},
};

const Level* bestLevel() {
  for (const Level& level : kLevels) {
    if (level.supported()) return &level;
  }
  return &kLevels[std::size(kLevels) - 1];
}

// Chosen at first use; forceIsa() may replace it. Relaxed order is enough: every Level and
// table is constant-initialized before any code runs.
std::atomic<const Level*>& currentLevel() {
  static std::atomic<const Level*> level{bestLevel()};
  return level;
}

const detail::KernelTable& table() {
  return *currentLevel().load(std::memory_order_relaxed)->table;
}

void checkDtype(const char* what, DataType dt) {
  if (!toDataType(static_cast<int>(dt))) {
    throw InvalidArgument(std::string(what) + ": unknown datatype " +
                          std::to_string(static_cast<int>(dt)));
  }
}

// True if [p, p+bytes) and [q, q+bytes) overlap without starting at the same address.
bool partialOverlap(const void* p, const void* q, size_t bytes) {
  const auto x = reinterpret_cast<uintptr_t>(p);
  const auto y = reinterpret_cast<uintptr_t>(q);
  return x != y && x < y + bytes && y < x + bytes;
}

}  // namespace

void apply(ReduceOp op, DataType dt, void* dst, const void* a, const void* b, size_t n) {
  checkDtype("reduce::apply", dt);
  if (!toReduceOp(static_cast<int>(op))) {
    throw InvalidArgument("reduce::apply: unknown reduction op " +
                          std::to_string(static_cast<int>(op)));
  }
  if (n == 0) return;
  if (dst == nullptr || a == nullptr || b == nullptr) {
    throw InvalidArgument("reduce::apply: null buffer for " + std::to_string(n) + " elements");
  }
  const size_t bytes = n * dtypeSize(dt);
  if (partialOverlap(dst, a, bytes) || partialOverlap(dst, b, bytes)) {
    throw InvalidArgument("reduce::apply: destination partially overlaps a source");
  }
  table().reduce[static_cast<int>(dt)][static_cast<int>(op)](dst, a, b, n);
}

void divide(DataType dt, void* dst, size_t n, int divisor) {
  checkDtype("reduce::divide", dt);
  if (divisor < 1) {
    throw InvalidArgument("reduce::divide: divisor must be positive, got " +
                          std::to_string(divisor));
  }
  if (n == 0) return;
  if (dst == nullptr) throw InvalidArgument("reduce::divide: null buffer");
  table().divide[static_cast<int>(dt)](dst, n, divisor);
}

const char* isaName() { return currentLevel().load(std::memory_order_relaxed)->name; }

bool forceIsa(const char* name) {
  if (name != nullptr && std::strcmp(name, "auto") == 0) {
    currentLevel().store(bestLevel(), std::memory_order_relaxed);
    return true;
  }
  for (const Level& level : kLevels) {
    if (name != nullptr && std::strcmp(level.name, name) == 0 && level.supported()) {
      currentLevel().store(&level, std::memory_order_relaxed);
      return true;
    }
  }
  return false;
}

}  // namespace weft::coll::reduce
