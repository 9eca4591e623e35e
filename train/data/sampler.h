// SPDX-License-Identifier: Apache-2.0
// Splitting a dataset's indices among data-parallel ranks, with PyTorch DistributedSampler's semantics.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace weft::train {

// Per epoch the indices 0..N-1 are permuted (Fisher-Yates driven by Rng(seed + epoch), or left in order without
// shuffle), then either padded by repeating the list from its start up to ceil(N/R)*R entries, or, with
// dropLast, cut to floor(N/R)*R. Rank r takes positions r, r+R, r+2R, ... of that list. Every rank that
// constructs the sampler with the same arguments and epoch sees the same list, so no communication is needed.
// Not thread-safe; const methods are reentrant.
class DistributedSampler {
 public:
  // Throws std::invalid_argument unless numReplicas >= 1, 0 <= rank < numReplicas and datasetSize > 0.
  DistributedSampler(size_t datasetSize, int numReplicas, int rank, bool shuffle, uint64_t seed,
                     bool dropLast = false);

  // Call at the start of each epoch, with the same value on every rank, to get a fresh shuffle.
  void setEpoch(uint64_t epoch) { epoch_ = epoch; }
  uint64_t epoch() const { return epoch_; }

  size_t numSamples() const;  // per rank; 0 with dropLast when datasetSize < numReplicas
  size_t totalSize() const;   // numSamples() * numReplicas

  // This rank's indices for the current epoch, in order; numSamples() of them.
  std::vector<size_t> indices() const;
  // Every rank's indices at once (rank r's at [r * numSamples(), (r+1) * numSamples())), for a root that scatters.
  std::vector<size_t> allIndices() const;

 private:
  std::vector<size_t> permutation() const;  // the epoch's order of 0..N-1
  void take(const std::vector<size_t>& perm, int rank, size_t* out) const;

  size_t size_;
  int replicas_;
  int rank_;
  bool shuffle_;
  uint64_t seed_;
  bool dropLast_;
  uint64_t epoch_ = 0;
};

}  // namespace weft::train
