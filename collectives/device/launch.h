// SPDX-License-Identifier: Apache-2.0
// Who runs a device ring job (Note [Device ring]): CUDA's kernels where built, or what a test
// installs (tests/support/fake_device.h runs the schedule on its streams' host threads).
#pragma once

#include "collectives/device/ring_job.h"

namespace weft::coll::devring {

class Launcher {
 public:
  virtual ~Launcher() = default;
  // Enqueues `job` on `stream` (a cudaStream_t); returns at once. Throws CudaError when the
  // launch fails.
  virtual void launch(const RingJob& job, void* stream) = 0;
};

// The installed launcher, else CUDA's where built, else nullptr.
Launcher* launcher();
// For tests: replaces it (nullptr restores the built-in one); returns the previous.
Launcher* installLauncher(Launcher* l);

}  // namespace weft::coll::devring
