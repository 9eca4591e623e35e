// SPDX-License-Identifier: Apache-2.0
// The data-parallel wrapper (steps 3 and 4 of the training loop): broadcast rank 0's parameters
// at start, and average the gradients over all ranks in buckets, each all-reduced as soon as
// backward has produced it, so that communication overlaps the rest of backward (as PyTorch's
// DistributedDataParallel does).
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "runtime/weft.hpp"
#include "train/nn/params.h"

namespace weft::train {

// Loop-bound: the training thread drives it (the all-reduces progress on weft's own thread).
class DataParallel {
 public:
  // Buckets are cut from the last parameter backwards (the order backward produces gradients),
  // each closed once it holds at least bucketCapBytes. The comm and params must outlive it.
  DataParallel(weft::Comm& comm, ParamStore<float>& params, size_t bucketCapBytes);
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  // Step 3: every rank takes rank 0's parameter values.
  void broadcastParameters();
  // Step 4, called by backward: the parameters from index `first` on hold their gradients.
  // Starts the nonblocking all-reduce (average) of every bucket that is now complete.
  void gradientsReady(size_t first);
  // Waits for every bucket (starting those not started); then every rank holds the same averaged
  // gradients. Throws weft::Error when a collective fails.
  void finishGradients();

  size_t bucketCount() const { return buckets_.size(); }
  // Parameters [firstParam, endParam) of bucket i (bucket 0 holds the last parameters).
  std::pair<size_t, size_t> bucketParams(size_t i) const { return {buckets_[i].firstParam, buckets_[i].endParam}; }
  // Seconds spent blocked on communication (broadcast and waiting for buckets) since the last reset.
  double commWaitSeconds() const { return waitSeconds_; }
  void resetCommWait() { waitSeconds_ = 0; }

 private:
  struct Bucket {
    size_t firstParam = 0, endParam = 0;  // parameter indices
    size_t offset = 0, count = 0;         // elements of the flat gradient array
    std::optional<weft::Work> work;
    bool started = false;
  };
  void start(Bucket& b);

  weft::Comm& comm_;
  ParamStore<float>& params_;
  std::vector<Bucket> buckets_;
  double waitSeconds_ = 0;
};

}  // namespace weft::train
