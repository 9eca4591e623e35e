// SPDX-License-Identifier: Apache-2.0
// Gathering a rank's samples by index, locally or at rank 0 for a scatter.
#include "train/trainer/shard.h"

#include <algorithm>
#include <chrono>

#include "train/util.h"

namespace weft::train {
namespace {

// Writes samples idx[0..n) of data as n images then n labels.
void pack(const Dataset& data, const size_t* idx, size_t n, uint8_t* pixels, uint8_t* labels) {
  const size_t img = data.imageSize();
  for (size_t i = 0; i < n; ++i) {
    std::copy_n(data.pixels.data() + idx[i] * img, img, pixels + i * img);
    labels[i] = data.labels[idx[i]];
  }
}

}  // namespace

Shard takeShard(const Dataset& data, const DistributedSampler& sampler) {
  const std::vector<size_t> idx = sampler.indices();
  Shard s;
  s.count = idx.size();
  s.imageSize = data.imageSize();
  s.pixels.resize(s.count * s.imageSize);
  s.labels.resize(s.count);
  pack(data, idx.data(), idx.size(), s.pixels.data(), s.labels.data());
  return s;
}

Shard scatterShard(weft::Comm& comm, const Dataset& data, const DistributedSampler& sampler, size_t imageSize) {
  Shard s;
  s.count = sampler.numSamples();
  s.imageSize = imageSize;
  const size_t perRank = s.count * (imageSize + 1);  // images, then labels
  std::vector<uint8_t> send;
  if (comm.rank() == 0) {
    const std::vector<size_t> all = sampler.allIndices();
    send.resize(perRank * size_t(comm.size()));
    for (int r = 0; r < comm.size(); ++r) {
      uint8_t* out = send.data() + perRank * size_t(r);
      pack(data, all.data() + s.count * size_t(r), s.count, out, out + s.count * imageSize);
    }
  }
  std::vector<uint8_t> recv(perRank);
  const auto t0 = std::chrono::steady_clock::now();
  comm.scatter(send.data(), recv.data(), perRank, weftUint8, 0);
  s.commSeconds = secondsSince(t0);
  s.pixels.assign(recv.begin(), recv.begin() + std::ptrdiff_t(s.count * imageSize));
  s.labels.assign(recv.begin() + std::ptrdiff_t(s.count * imageSize), recv.end());
  return s;
}

}  // namespace weft::train
