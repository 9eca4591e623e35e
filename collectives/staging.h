// SPDX-License-Identifier: Apache-2.0
// The shared buffer a rank stages data in for its peers on this host to load (Note [Staged
// broadcast] in collectives/broadcast/staged.cc).
#pragma once

#include <cstddef>

#include "transport/shared_memory.h"

namespace weft::coll {

// One per communicator, made at its first use and kept (with its pages touched, so that no call
// after the first pays a page fault) until the communicator is destroyed. Loop-bound: a
// communicator runs its collectives one after another (Note [Groups]), so one call at a time
// uses it.
class Staging {
 public:
  Staging() = default;
  ~Staging();
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;

  // At least `bytes` bytes in a shared buffer (Note [Shared buffers]), or nullptr when the
  // kernel refused one (the caller then lends its own buffer another way); a refusal is
  // remembered and not retried.
  std::byte* get(size_t bytes);
  transport::SharedRef ref() const { return ref_; }

 private:
  std::byte* data_ = nullptr;
  size_t bytes_ = 0;
  bool refused_ = false;
  transport::SharedRef ref_;
};

}  // namespace weft::coll
