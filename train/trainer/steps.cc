// SPDX-License-Identifier: Apache-2.0
// Loading, batching, evaluation, verification and checkpoints for train_mnist.
#include "train/trainer/steps.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <stdexcept>

#include "train/util.h"

namespace weft::train {

void onRankZero(weft::Comm& comm, const std::string& what, const std::function<void()>& fn) {
  // Rank 0's reason travels with the verdict, so that every rank's message names the cause even
  // when rank 0 is stopped (a launcher ending the job) before it prints its own.
  char reason[512] = {};
  std::exception_ptr error;
  if (comm.rank() == 0) {
    try {
      fn();
    } catch (const std::exception& e) {
      error = std::current_exception();
      std::snprintf(reason, sizeof reason, "%s", e.what()[0] ? e.what() : "unknown error");
    } catch (...) {
      error = std::current_exception();
      std::snprintf(reason, sizeof reason, "unknown error");
    }
  }
  if (comm.size() > 1) comm.broadcast(reason, reason, sizeof reason, weftUint8, 0);
  if (error) std::rethrow_exception(error);
  reason[sizeof reason - 1] = '\0';
  if (reason[0]) throw std::runtime_error("rank 0 failed to " + what + ": " + reason);
}

void prepareOutputs(weft::Comm& comm, const TrainOptions& o) {
  if (!o.checkpointDir.empty()) {
    onRankZero(comm, "create the checkpoint directory", [&] {
      std::error_code ec;
      std::filesystem::create_directories(o.checkpointDir, ec);
      if (ec || !std::filesystem::is_directory(o.checkpointDir)) {
        throw std::runtime_error("--checkpoint " + o.checkpointDir + ": cannot create the directory" +
                                 (ec ? ": " + ec.message() : std::string()));
      }
    });
  }
  if (!o.metrics.empty()) {
    onRankZero(comm, "open the metrics file", [&] {
      FILE* f = std::fopen(o.metrics.c_str(), "a");
      if (!f) throw std::runtime_error("--metrics " + o.metrics + ": " + std::strerror(errno));
      std::fclose(f);
    });
  }
}

TrainData loadTrainData(weft::Comm& comm, const TrainOptions& o) {
  TrainData d;
  if (o.scatter) {
    onRankZero(comm, "read the training set", [&] { d.train = loadMnist(o.data, true, size_t(o.limit)); });
  } else {
    d.train = loadMnist(o.data, true, size_t(o.limit));
  }
  d.test = loadMnist(o.data, false, size_t(o.testLimit));
  uint64_t meta[4] = {d.train.count, d.train.imageSize(), uint64_t(d.train.rows), uint64_t(d.train.cols)};
  if (o.scatter && comm.size() > 1) comm.broadcast(meta, meta, 4, weftUint64, 0);
  d.trainCount = meta[0];
  d.imageSize = meta[1];
  const int side = MnistNet<float>::kImageSide;
  auto check = [&](const char* set, uint64_t rows, uint64_t cols) {
    if (rows != uint64_t(side) || cols != uint64_t(side)) {
      throw std::runtime_error("the network takes 28x28 images; the " + std::string(set) + " set in " + o.data +
                               " has " + std::to_string(rows) + "x" + std::to_string(cols));
    }
  };
  check("training", meta[2], meta[3]);
  check("test", uint64_t(d.test.rows), uint64_t(d.test.cols));
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
  // Small enough that the layers' buffers (sized by the largest batch seen) stay modest.
  constexpr size_t kBatch = 256;
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
  return fnv1a(params.values().data(), params.values().size() * sizeof(float));
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
  onRankZero(comm, "write the checkpoint", [&] {
    position.params = params.values();
    position.momentum = sgd.momentumBuffer();
    position.sgdStarted = sgd.started();
    writeCheckpoint(checkpointPath(o), position);
  });
}

}  // namespace weft::train
