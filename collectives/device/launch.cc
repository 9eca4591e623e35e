// SPDX-License-Identifier: Apache-2.0
#include "collectives/device/launch.h"

#include <atomic>
#include <string>

#include "common/error.h"
#include "weft_config.h"

namespace weft::coll::devring {

#if WEFT_HAVE_CUDA
const char* launchRingKernel(const RingJob& job, void* stream);  // ring_cuda.cu

namespace {
class CudaLauncher final : public Launcher {
 public:
  void launch(const RingJob& job, void* stream) override {
    if (const char* e = launchRingKernel(job, stream)) throw CudaError(std::string("launching the device ring: ") + e);
  }
};
}  // namespace
#endif

namespace {
std::atomic<Launcher*> gInstalled{nullptr};

Launcher* builtIn() {
#if WEFT_HAVE_CUDA
  static CudaLauncher l;
  return &l;
#else
  return nullptr;
#endif
}
}  // namespace

Launcher* launcher() {
  Launcher* l = gInstalled.load(std::memory_order_acquire);
  return l != nullptr ? l : builtIn();
}

Launcher* installLauncher(Launcher* l) { return gInstalled.exchange(l, std::memory_order_acq_rel); }

}  // namespace weft::coll::devring
