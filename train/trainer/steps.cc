// SPDX-License-Identifier: Apache-2.0
// Loading, batching, evaluation, verification and checkpoints for train_mnist.
#include "train/trainer/steps.h"

#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

namespace weft::train {

TrainData loadTrainData(weft::Comm& comm, const TrainOptions& o) {
  TrainData d;
  if (!o.scatter || comm.rank() == 0) d.train = loadMnist(o.data, true, size_t(o.limit));
  d.test = loadMnist(o.data, false, size_t(o.testLimit));
  uint64_t meta[2] = {d.train.count, d.train.imageSize()};
  if (o.scatter && comm.size() > 1) comm.broadcast(meta, meta, 2, weftUint64, 0);
  d.trainCount = meta[0];
  d.imageSize = meta[1];
  const size_t side = size_t(MnistNet<float>::kImageSide);
  if (d.imageSize != side * side || d.test.imageSize() != side * side) {
    throw std::runtime_error("the network takes 28x28 images; " + o.data + " holds " + std::to_string(d.test.rows) +
                             "x" + std::to_string(d.test.cols));
  }
  return d;
}

void makeBatch(const uint8_t* pixels, const uint8_t* labels, size_t first, size_t n, size_t imageSize, Tensor& x,
               std::vector<uint8_t>& y) {
  const int side = MnistNet<float>::kImageSide;
  x.resize({int(n), 1, side, side});
  normalizeImages(pixels + first * imageSize, n * imageSize, x.ptr());
  y.assign(labels + first, labels + first + n);
}

Evaluation evaluate(weft::Comm& comm, MnistNet<float>& net, const Dataset& test) {
  constexpr size_t kBatch = 1000;
  const size_t lo = test.count * size_t(comm.rank()) / size_t(comm.size());
  const size_t hi = test.count * size_t(comm.rank() + 1) / size_t(comm.size());
  double sums[3] = {0, 0, double(hi - lo)};  // loss * samples, correct, samples
  Tensor x;
  std::vector<uint8_t> y;
  for (size_t first = lo; first < hi; first += kBatch) {
    const size_t n = std::min(kBatch, hi - first);
    makeBatch(test.pixels.data(), test.labels.data(), first, n, test.imageSize(), x, y);
    sums[0] += net.forward(x, y.data()) * double(n);
    const Tensor& logp = net.logProbs();
    for (size_t i = 0; i < n; ++i) {
      const float* row = logp.ptr() + i * MnistNet<float>::kClasses;
      sums[1] += size_t(std::max_element(row, row + MnistNet<float>::kClasses) - row) == y[i] ? 1 : 0;
    }
  }
  if (comm.size() > 1) comm.allReduce(sums, sums, 3, weftFloat64, weftSum);
  return {sums[2] > 0 ? sums[0] / sums[2] : 0, sums[2] > 0 ? sums[1] / sums[2] : 0};
}

uint64_t parameterChecksum(const ParamStore<float>& params) {
  uint64_t h = 0xcbf29ce484222325ull;
  const auto* bytes = reinterpret_cast<const unsigned char*>(params.values().data());
  for (size_t i = 0; i < params.values().size() * sizeof(float); ++i) h = (h ^ bytes[i]) * 0x100000001b3ull;
  return h;
}

void verifyIdentical(weft::Comm& comm, const ParamStore<float>& params, uint64_t step) {
  const uint64_t mine = parameterChecksum(params);
  uint64_t lo = mine, hi = mine;
  comm.allReduce(&lo, &lo, 1, weftUint64, weftMin);
  comm.allReduce(&hi, &hi, 1, weftUint64, weftMax);
  if (lo != hi) {
    char msg[160];
    std::snprintf(msg, sizeof msg, "--verify: ranks hold different parameters after step %llu (rank %d: %016llx)",
                  (unsigned long long)step, comm.rank(), (unsigned long long)mine);
    throw std::runtime_error(msg);
  }
}

std::string checkpointPath(const TrainOptions& o) { return o.checkpointDir + "/checkpoint.bin"; }

void saveCheckpoint(weft::Comm& comm, const TrainOptions& o, const ParamStore<float>& params, Sgd& sgd,
                    Checkpoint position, double epochLossSum) {
  if (o.checkpointDir.empty()) return;
  // Each rank's own sum, so that a resumed rank reports the mean it would have without a break.
  position.epochLossSums.assign(size_t(comm.size()), 0.0);
  if (comm.size() > 1) {
    comm.allGather(&epochLossSum, position.epochLossSums.data(), 1, weftFloat64);
  } else {
    position.epochLossSums[0] = epochLossSum;
  }
  if (comm.rank() != 0) return;
  ::mkdir(o.checkpointDir.c_str(), 0755);  // exists already: fine; unusable: the write says so
  position.params = params.values();
  position.momentum = sgd.momentumBuffer();
  position.sgdStarted = sgd.started();
  writeCheckpoint(checkpointPath(o), position);
}

bool restoreCheckpoint(weft::Comm& comm, const TrainOptions& o, ParamStore<float>& params, Sgd& sgd,
                       Checkpoint* position, double* epochLossSum) {
  struct stat st;
  if (::stat(checkpointPath(o).c_str(), &st) != 0) return false;
  Checkpoint c = readCheckpoint(checkpointPath(o));
  if (c.params.size() != params.values().size() || c.momentum.size() != sgd.momentumBuffer().size()) {
    throw std::runtime_error("checkpoint " + checkpointPath(o) + " holds " + std::to_string(c.params.size()) +
                             " parameters and " + std::to_string(c.momentum.size()) + " momentum values; this run has " +
                             std::to_string(params.values().size()) + " and " +
                             std::to_string(sgd.momentumBuffer().size()) + " (same network and --momentum?)");
  }
  const bool sameOrder = c.seed == o.seed && c.worldSize == uint32_t(comm.size()) && c.batchSize == uint32_t(o.batchSize);
  if (!sameOrder && c.stepInEpoch != 0) {
    throw std::runtime_error("checkpoint " + checkpointPath(o) + " was taken mid-epoch by a run with another seed, "
                             "world size or batch size; resume with the same ones");
  }
  params.values() = c.params;
  sgd.momentumBuffer() = c.momentum;
  sgd.started() = c.sgdStarted;
  *epochLossSum = size_t(comm.rank()) < c.epochLossSums.size() ? c.epochLossSums[size_t(comm.rank())] : 0.0;
  *position = std::move(c);
  position->params.clear();
  position->momentum.clear();
  return true;
}

}  // namespace weft::train
