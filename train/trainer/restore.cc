// SPDX-License-Identifier: Apache-2.0
// Resuming: rank 0 reads the checkpoint and broadcasts it, every rank checks it the same way.
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "train/trainer/steps.h"

namespace weft::train {
namespace {

template <class T>
void broadcastVector(weft::Comm& comm, std::vector<T>& v, weftDataType_t type) {
  if (comm.size() > 1 && !v.empty()) comm.broadcast(v.data(), v.data(), v.size(), type, 0);
}

}  // namespace

bool restoreCheckpoint(weft::Comm& comm, const TrainOptions& o, size_t trainCount, ParamStore<float>& params,
                       Sgd& sgd, Checkpoint* position, double* epochLossSum) {
  const std::string path = checkpointPath(o);
  Checkpoint c;
  bool found = false;
  onRankZero(comm, "read the checkpoint", [&] {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT) return;
      throw std::runtime_error("checkpoint " + path + ": " + std::strerror(errno));
    }
    c = readCheckpoint(path);
    found = true;
  });
  uint64_t head[12] = {found,         c.epoch,          c.stepInEpoch,     c.globalStep,
                       c.seed,        c.worldSize,      c.batchSize,       c.sgdStarted,
                       c.trainCount,  c.params.size(),  c.momentum.size(), c.epochLossSums.size()};
  if (comm.size() > 1) comm.broadcast(head, head, 12, weftUint64, 0);
  if (!head[0]) return false;
  if (comm.rank() != 0) {
    c.epoch = head[1], c.stepInEpoch = head[2], c.globalStep = head[3], c.seed = head[4];
    c.worldSize = uint32_t(head[5]), c.batchSize = uint32_t(head[6]), c.sgdStarted = head[7] != 0;
    c.trainCount = head[8];
    c.params.resize(head[9]);
    c.momentum.resize(head[10]);
    c.epochLossSums.resize(head[11]);
  }
  broadcastVector(comm, c.params, weftFloat32);
  broadcastVector(comm, c.momentum, weftFloat32);
  broadcastVector(comm, c.epochLossSums, weftFloat64);
  // Every rank holds the same checkpoint now, so every rank decides the same way below.
  if (c.params.size() != params.values().size() || c.momentum.size() != sgd.momentumBuffer().size()) {
    throw std::runtime_error("checkpoint " + path + " holds " + std::to_string(c.params.size()) +
                             " parameters and " + std::to_string(c.momentum.size()) + " momentum values; this run has " +
                             std::to_string(params.values().size()) + " and " +
                             std::to_string(sgd.momentumBuffer().size()) + " (same network and --momentum?)");
  }
  const bool sameOrder = c.seed == o.seed && c.worldSize == uint32_t(comm.size()) &&
                         c.batchSize == uint32_t(o.batchSize) && c.trainCount == trainCount;
  if (!sameOrder && c.stepInEpoch != 0 && o.elastic) {
    // Note [Elastic training]: fewer ranks cut the epoch into other shards, so the epoch the
    // checkpoint was taken in starts over from its parameters.
    if (comm.rank() == 0) {
      std::printf("the checkpoint was taken mid-epoch by %u ranks: epoch %llu starts over with %d\n", c.worldSize,
                  (unsigned long long)c.epoch + 1, comm.size());
    }
    c.stepInEpoch = 0;
    c.epochLossSums.clear();
  } else if (!sameOrder && c.stepInEpoch != 0) {
    throw std::runtime_error("checkpoint " + path + " was taken mid-epoch by a run with another seed, world size, "
                             "batch size or training set (--limit, --data); resume with the same ones");
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
