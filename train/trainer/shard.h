// SPDX-License-Identifier: Apache-2.0
// Step 2 of the loop, data distribution: this rank's training samples for one epoch, either taken
// from the whole data set every rank has read (--data-dist shard) or sent by rank 0, the only
// one that read it (--data-dist scatter, one weftScatter per epoch).
#pragma once

#include <cstdint>
#include <vector>

#include "runtime/weft.hpp"
#include "train/data/dataset.h"
#include "train/data/sampler.h"

namespace weft::train {

struct Shard {
  size_t count = 0;
  size_t imageSize = 0;
  std::vector<uint8_t> pixels;  // count * imageSize, in the sampler's order for this rank
  std::vector<uint8_t> labels;
  double commSeconds = 0;  // spent in the scatter itself
};

Shard takeShard(const Dataset& data, const DistributedSampler& sampler);
// On rank 0 `data` is the data set; other ranks pass an empty one and the image size.
Shard scatterShard(weft::Comm& comm, const Dataset& data, const DistributedSampler& sampler, size_t imageSize);

}  // namespace weft::train
