// SPDX-License-Identifier: Apache-2.0
// The pieces of train_mnist's loop that are not the five steps themselves: loading, batches,
// evaluation, the --verify check and checkpoints.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "runtime/weft.hpp"
#include "train/checkpoint.h"
#include "train/data/dataset.h"
#include "train/nn/mnist_net.h"
#include "train/optim/sgd.h"
#include "train/trainer/options.h"

namespace weft::train {

struct TrainData {
  Dataset train;  // empty on ranks other than 0 with --data-dist scatter
  Dataset test;
  size_t trainCount = 0;
  size_t imageSize = 0;
};
// Every rank reads the test set; the training set is read by all (shard) or by rank 0 (scatter),
// which then tells the others its size. Checks that images are 28x28.
TrainData loadTrainData(weft::Comm& comm, const TrainOptions& o);

// Samples [first, first + n) of pixels/labels as a normalised [n, 1, 28, 28] batch.
void makeBatch(const uint8_t* pixels, const uint8_t* labels, size_t first, size_t n, size_t imageSize, Tensor& x,
               std::vector<uint8_t>& y);

struct Evaluation {
  double loss = 0;
  double accuracy = 0;
};
// The test set split evenly over the ranks, sums all-reduced: every rank gets the same result.
Evaluation evaluate(weft::Comm& comm, MnistNet<float>& net, const Dataset& test);

// FNV-1a of the parameters' bytes.
uint64_t parameterChecksum(const ParamStore<float>& params);
// Throws std::runtime_error when ranks hold different parameters (checksums all-reduced with
// min and max).
void verifyIdentical(weft::Comm& comm, const ParamStore<float>& params, uint64_t step);

std::string checkpointPath(const TrainOptions& o);
// Called by every rank (it gathers each rank's loss sum so far); rank 0 writes.
void saveCheckpoint(weft::Comm& comm, const TrainOptions& o, const ParamStore<float>& params, Sgd& sgd,
                    Checkpoint position, double epochLossSum);
// Loads the checkpoint into params and sgd and returns the position and this rank's loss sum so
// far in the epoch; false when there is none.
bool restoreCheckpoint(weft::Comm& comm, const TrainOptions& o, ParamStore<float>& params, Sgd& sgd,
                       Checkpoint* position, double* epochLossSum);

}  // namespace weft::train
