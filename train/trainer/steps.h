// SPDX-License-Identifier: Apache-2.0
// The pieces of train_mnist's loop that are not the five steps themselves: loading, batches,
// evaluation, the --verify check and checkpoints.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "runtime/weft.hpp"
#include "train/checkpoint.h"
#include "train/data/dataset.h"
#include "train/nn/mnist_net.h"
#include "train/optim/sgd.h"
#include "train/trainer/options.h"

namespace weft::train {

// Runs fn on rank 0 and tells every rank whether it worked. A failure there throws on every rank
// (rank 0 its own error, the others "rank 0 failed to <what>: <its message>"), so that no rank is
// left waiting for a collective rank 0 will not call.
void onRankZero(weft::Comm& comm, const std::string& what, const std::function<void()>& fn);

// Rank 0 creates the checkpoint directory (with its parents) and checks that the metrics file can
// be appended to, before any training.
void prepareOutputs(weft::Comm& comm, const TrainOptions& o);

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
// Called by every rank (it gathers each rank's loss sum so far); rank 0 writes, and a failure
// to write fails every rank.
void saveCheckpoint(weft::Comm& comm, const TrainOptions& o, const ParamStore<float>& params, Sgd& sgd,
                    Checkpoint position, double epochLossSum);
// Rank 0 reads the checkpoint and sends it to all (the checkpoint directory need not be shared):
// loads it into params and sgd and returns the position and this rank's loss sum so far in the
// epoch; false on every rank when there is none. Throws on every rank when it cannot be used.
bool restoreCheckpoint(weft::Comm& comm, const TrainOptions& o, size_t trainCount, ParamStore<float>& params,
                       Sgd& sgd, Checkpoint* position, double* epochLossSum);

}  // namespace weft::train
