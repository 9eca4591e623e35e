// SPDX-License-Identifier: Apache-2.0
// DistributedSampler: per-epoch permutation, padding or cutting to a multiple of the ranks, strided split.
#include "train/data/sampler.h"

#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>

#include "train/rng.h"

namespace weft::train {

DistributedSampler::DistributedSampler(size_t datasetSize, int numReplicas, int rank, bool shuffle, uint64_t seed,
                                       bool dropLast)
    : size_(datasetSize), replicas_(numReplicas), rank_(rank), shuffle_(shuffle), seed_(seed), dropLast_(dropLast) {
  if (numReplicas < 1) {
    throw std::invalid_argument("DistributedSampler: numReplicas must be >= 1, got " + std::to_string(numReplicas));
  }
  if (rank < 0 || rank >= numReplicas) {
    throw std::invalid_argument("DistributedSampler: rank " + std::to_string(rank) + " is not in [0, " +
                                std::to_string(numReplicas) + ")");
  }
  if (datasetSize == 0) throw std::invalid_argument("DistributedSampler: datasetSize must be > 0");
}

size_t DistributedSampler::numSamples() const {
  const size_t r = size_t(replicas_);
  return dropLast_ ? size_ / r : (size_ + r - 1) / r;
}

size_t DistributedSampler::totalSize() const { return numSamples() * size_t(replicas_); }

std::vector<size_t> DistributedSampler::permutation() const {
  std::vector<size_t> perm(size_);
  std::iota(perm.begin(), perm.end(), size_t(0));
  if (!shuffle_) return perm;
  // seed + epoch (wrapping) as in PyTorch, so every rank derives the same order without talking to the others.
  Rng rng(seed_ + epoch_);
  for (size_t i = size_ - 1; i > 0; --i) std::swap(perm[i], perm[rng.below(i + 1)]);
  return perm;
}

// Position p of the padded list is perm[p % N]: padding repeats the list from its start, as often as needed
// when N is smaller than the padding. With dropLast, p < totalSize() <= N, so the modulo is a no-op.
void DistributedSampler::take(const std::vector<size_t>& perm, int rank, size_t* out) const {
  const size_t n = numSamples();
  for (size_t k = 0; k < n; ++k) out[k] = perm[(size_t(rank) + k * size_t(replicas_)) % size_];
}

std::vector<size_t> DistributedSampler::indices() const {
  std::vector<size_t> out(numSamples());
  take(permutation(), rank_, out.data());
  return out;
}

std::vector<size_t> DistributedSampler::allIndices() const {
  const auto perm = permutation();
  std::vector<size_t> out(totalSize());
  for (int r = 0; r < replicas_; ++r) take(perm, r, out.data() + size_t(r) * numSamples());
  return out;
}

}  // namespace weft::train
