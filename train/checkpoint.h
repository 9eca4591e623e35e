// SPDX-License-Identifier: Apache-2.0
// Training checkpoints: model parameters, optimizer state, position in the data and the RNG, in
// one file written atomically (temporary file, fsync, rename, fsync of the directory) and
// checked on reading (magic, version, sizes, a checksum over everything).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "train/rng.h"

namespace weft::train {

struct Checkpoint {
  uint64_t epoch = 0;        // the epoch to run next (0-based)
  uint64_t stepInEpoch = 0;  // its batches already done
  uint64_t globalStep = 0;   // optimizer steps taken in all
  std::vector<double> epochLossSums;  // each rank's batch losses so far in `epoch` (for its mean)
  uint64_t seed = 0;         // the run's settings that decide the data order, checked on resume
  uint32_t worldSize = 0;
  uint32_t batchSize = 0;
  uint64_t trainCount = 0;   // training images (with --limit), also deciding the order
  Rng::State rng{};          // the generator after initialisation (the shuffle is seeded per epoch)
  std::vector<float> params;
  std::vector<float> momentum;  // empty without momentum
  bool sgdStarted = false;
};

// Throws std::runtime_error naming the file when it cannot be written.
void writeCheckpoint(const std::string& path, const Checkpoint& c);
// Throws std::runtime_error naming the file and what is wrong (missing, truncated, corrupt).
Checkpoint readCheckpoint(const std::string& path);

}  // namespace weft::train
