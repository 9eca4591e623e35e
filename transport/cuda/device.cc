// SPDX-License-Identifier: Apache-2.0
// The process's device runtime (Note [Device runtime]).
#include "transport/cuda/device.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "weft_config.h"

namespace weft::device {

#if WEFT_HAVE_CUDA
Runtime* cudaRuntime();  // transport/cuda/cuda_runtime.cc
#endif

namespace {

std::atomic<Runtime*> gInstalled{nullptr};

Runtime* builtIn() {
#if WEFT_HAVE_CUDA
  return cudaRuntime();
#else
  return nullptr;
#endif
}

}  // namespace

void* allocPinnedPage(Runtime& rt) {
  constexpr size_t kPage = 4096;
  void* page = std::aligned_alloc(kPage, kPage);
  if (page == nullptr) throw std::bad_alloc();
  std::memset(page, 0, kPage);
  try {
    rt.pin(page, kPage);
  } catch (...) {
    std::free(page);
    throw;
  }
  return page;
}

void freePinnedPage(Runtime& rt, void* page) noexcept {
  rt.unpin(page);
  std::free(page);
}

Runtime* runtime() {
  Runtime* r = gInstalled.load(std::memory_order_acquire);
  return r != nullptr ? r : builtIn();
}

Runtime* installRuntime(Runtime* r) { return gInstalled.exchange(r, std::memory_order_acq_rel); }

}  // namespace weft::device
