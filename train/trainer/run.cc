// SPDX-License-Identifier: Apache-2.0
// train_mnist's loop: steps 2 to 5 of the tutorial, epoch after epoch, with evaluation,
// reporting and checkpoints around them.
#include "train/trainer/run.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "train/blas.h"
#include "train/ddp.h"
#include "train/trainer/report.h"
#include "train/trainer/shard.h"
#include "train/trainer/steps.h"

#include "train/util.h"

namespace weft::train {
namespace {

void printChecksum(weft::Comm& comm, const ParamStore<float>& params) {
  if (comm.rank() == 0) std::printf("parameter checksum %016llx\n", (unsigned long long)parameterChecksum(params));
}

}  // namespace

int runTraining(weft::Comm& comm, TrainOptions o) {
  const int rank = comm.rank(), world = comm.size();
  prepareOutputs(comm, o);
  TrainData data = loadTrainData(comm, o);

  MnistNet<float> net;
  Rng rng(o.seed);
  net.init(rng);
  ParamStore<float>& params = net.params();
  Sgd sgd(params.values().size(), SgdOptions{o.lr, o.momentum, 0.0, o.weightDecay, o.nesterov});
  DataParallel ddp(comm, params, size_t(o.bucketKiB) * 1024);

  Checkpoint at;  // where the run stands; saved as is
  double lossSum = 0;  // this rank's batch losses in the current epoch
  at.seed = o.seed;
  at.worldSize = uint32_t(world);
  at.batchSize = uint32_t(o.batchSize);
  at.trainCount = data.trainCount;
  if (o.resume) {
    if (restoreCheckpoint(comm, o, data.trainCount, params, sgd, &at, &lossSum)) {
      rng.setState(at.rng);
      if (rank == 0) {
        std::printf("resuming from %s: epoch %llu, step %llu\n", checkpointPath(o).c_str(),
                    (unsigned long long)at.epoch + 1, (unsigned long long)at.stepInEpoch);
      }
    } else if (rank == 0) {
      std::printf("no checkpoint in %s: starting from scratch\n", o.checkpointDir.c_str());
    }
    at.seed = o.seed;
    at.worldSize = uint32_t(world);
    at.batchSize = uint32_t(o.batchSize);
    at.trainCount = data.trainCount;
  }

  // Step 3: every rank starts from rank 0's parameters.
  ddp.broadcastParameters();

  DistributedSampler sampler(data.trainCount, world, rank, /*shuffle=*/true, o.seed);
  Progress progress(o.progress && rank == 0, o.logEvery);
  if (rank == 0) {
    std::printf("training on %zu images (%zu per rank), testing on %zu, %d rank%s, batch %d per rank, "
                "OpenBLAS kernels %s\n",
                data.trainCount, sampler.numSamples(), data.test.count, world, world == 1 ? "" : "s", o.batchSize,
                blasCoreName());
    std::fflush(stdout);
  }
  Tensor x;
  std::vector<uint8_t> y;
  for (; at.epoch < uint64_t(o.epochs); ++at.epoch, at.stepInEpoch = 0, lossSum = 0) {
    const auto t0 = std::chrono::steady_clock::now();
    ddp.resetCommWait();
    // Step 2: this rank's shard of the epoch's shuffle.
    sampler.setEpoch(at.epoch);
    const Shard shard = o.scatter ? scatterShard(comm, data.train, sampler, data.imageSize)
                                  : takeShard(data.train, sampler);
    const size_t batch = size_t(o.batchSize);
    const uint64_t steps = (shard.count + batch - 1) / batch;
    progress.startEpoch(int(at.epoch) + 1, int64_t(steps), int64_t(at.stepInEpoch), int64_t(batch) * world);
    size_t samples = 0;
    for (; at.stepInEpoch < steps; ++at.stepInEpoch) {
      const size_t first = at.stepInEpoch * batch, n = std::min(batch, shard.count - first);
      makeBatch(shard.pixels.data(), shard.labels.data(), first, n, shard.imageSize, x, y);
      const double loss = net.forward(x, y.data());
      // Step 4: each bucket's all-reduce starts once backward has produced its gradients...
      net.backward([&](size_t firstParam) { ddp.gradientsReady(firstParam); });
      // ...and all have finished here: every rank holds the same averaged gradients.
      ddp.finishGradients();
      // Step 5: clip the global gradient norm, then the SGD update, the same on every rank.
      if (o.clip > 0) clipGradNorm(params.grads().data(), params.grads().size(), o.clip);
      sgd.step(params.values().data(), params.grads().data());

      lossSum += loss;
      ++at.globalStep;
      samples += n;
      progress.update(int64_t(at.stepInEpoch), lossSum / double(at.stepInEpoch + 1));
      if (o.verifyEvery > 0 && at.globalStep % uint64_t(o.verifyEvery) == 0) verifyIdentical(comm, params, at.globalStep);
      const bool stop = o.maxSteps > 0 && at.globalStep >= uint64_t(o.maxSteps);
      if (stop || (o.checkpointEvery > 0 && at.globalStep % uint64_t(o.checkpointEvery) == 0)) {
        Checkpoint next = at;
        next.stepInEpoch = at.stepInEpoch + 1;
        next.rng = rng.state();
        saveCheckpoint(comm, o, params, sgd, std::move(next), lossSum);
      }
      if (stop) {
        progress.endEpoch();
        if (rank == 0) std::printf("stopped after %llu steps (--max-steps)\n", (unsigned long long)at.globalStep);
        printChecksum(comm, params);
        return 0;
      }
    }
    progress.endEpoch();
    EpochMetrics m;
    m.epoch = int(at.epoch) + 1;
    m.epochTimeS = secondsSince(t0);
    m.commWaitS = ddp.commWaitSeconds() + shard.commSeconds;
    m.worldSize = world;
    m.samplesPerS = m.epochTimeS > 0 ? double(samples) * world / m.epochTimeS : 0;
    double meanLoss = steps ? lossSum / double(steps) : 0;
    if (world > 1) comm.allReduce(&meanLoss, &meanLoss, 1, weftFloat64, weftAvg);
    m.trainLoss = meanLoss;
    const Evaluation eval = evaluate(comm, net, data.test);
    m.testLoss = eval.loss;
    m.testAccuracy = eval.accuracy;
    if (rank == 0) {
      std::printf("%s\n", epochSummary(m).c_str());
      std::fflush(stdout);
    }
    if (!o.metrics.empty()) onRankZero(comm, "append to the metrics file", [&] { appendMetrics(o.metrics, m); });
    Checkpoint next = at;
    next.epoch = at.epoch + 1;
    next.stepInEpoch = 0;
    next.rng = rng.state();
    saveCheckpoint(comm, o, params, sgd, std::move(next), 0.0);
  }
  printChecksum(comm, params);
  return 0;
}

}  // namespace weft::train
