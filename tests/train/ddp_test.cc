// SPDX-License-Identifier: Apache-2.0
// The data-parallel wrapper: world size 1 with global batch B and world size 4 with batch B/4 per
// rank reach the same parameters after the same steps (up to floating-point reordering), every
// rank of a world holds bit-identical parameters, and the bucket size changes nothing.
#include <catch2/catch.hpp>

#include <cmath>
#include <thread>
#include <vector>

#include "runtime/weft.hpp"
#include "train/data/dataset.h"
#include "train/ddp.h"
#include "train/nn/mnist_net.h"
#include "train/optim/sgd.h"

using namespace weft::train;

namespace {

constexpr int kGlobalBatch = 16;
constexpr int kSteps = 4;
constexpr size_t kImage = 28 * 28;

struct Data {
  std::vector<uint8_t> pixels, labels;
};

Data syntheticData(size_t n) {
  Rng rng(42);
  Data d;
  d.pixels.resize(n * kImage);
  d.labels.resize(n);
  for (auto& p : d.pixels) p = uint8_t(rng.below(256));
  for (auto& l : d.labels) l = uint8_t(rng.below(10));
  return d;
}

// One rank's training: at step t it takes the global batch's samples t*B + world*j + rank, the
// interleaving DistributedSampler gives, so the union over ranks is world 1's batch t.
std::vector<float> train(weft::Comm& comm, const Data& data, size_t bucketBytes) {
  const int world = comm.size(), rank = comm.rank(), local = kGlobalBatch / world;
  MnistNet<float> net;
  Rng rng(7 + uint64_t(rank));  // different on purpose: the broadcast must make them equal
  net.init(rng);
  ParamStore<float>& params = net.params();
  Sgd sgd(params.values().size(), SgdOptions{0.05, 0.9, 0.0, 1e-4, false});
  DataParallel ddp(comm, params, bucketBytes);
  ddp.broadcastParameters();
  Tensor x({local, 1, 28, 28});
  std::vector<uint8_t> y(static_cast<size_t>(local));
  for (int t = 0; t < kSteps; ++t) {
    for (int j = 0; j < local; ++j) {
      const size_t sample = size_t(t) * kGlobalBatch + size_t(world) * j + size_t(rank);
      normalizeImages(data.pixels.data() + sample * kImage, kImage, x.ptr() + size_t(j) * kImage);
      y[size_t(j)] = data.labels[sample];
    }
    net.forward(x, y.data());
    net.backward([&](size_t first) { ddp.gradientsReady(first); });
    ddp.finishGradients();
    clipGradNorm(params.grads().data(), params.grads().size(), 10.0);
    sgd.step(params.values().data(), params.grads().data());
  }
  return params.values();
}

// Trains on `world` thread ranks; returns each rank's parameters.
std::vector<std::vector<float>> trainWorld(int world, const Data& data, size_t bucketBytes) {
  std::vector<weft::Comm> comms = weft::Comm::initAll(world);
  std::vector<std::vector<float>> out(static_cast<size_t>(world));
  std::vector<std::string> errors(static_cast<size_t>(world));
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    threads.emplace_back([&, r] {
      try {
        out[size_t(r)] = train(comms[size_t(r)], data, bucketBytes);
      } catch (const std::exception& e) {
        errors[size_t(r)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) REQUIRE(e.empty());
  return out;
}

}  // namespace

TEST_CASE("world size 4 with batch B/4 matches world size 1 with batch B") {
  const Data data = syntheticData(size_t(kGlobalBatch) * kSteps);
  const auto one = trainWorld(1, data, 32 * 1024);
  const auto four = trainWorld(4, data, 32 * 1024);
  for (int r = 1; r < 4; ++r) REQUIRE(four[size_t(r)] == four[0]);  // bit-identical across ranks
  REQUIRE(one[0].size() == four[0].size());
  double worst = 0;
  for (size_t i = 0; i < one[0].size(); ++i) {
    worst = std::max(worst, std::abs(double(one[0][i]) - four[0][i]) / (1e-3 + std::abs(double(one[0][i]))));
  }
  INFO("largest relative difference " << worst);
  REQUIRE(worst < 1e-4);
  // The parameters moved: the comparison is not between two untouched initialisations.
  MnistNet<float> fresh;
  Rng rng(7);
  fresh.init(rng);
  REQUIRE(fresh.params().values() != one[0]);
}

TEST_CASE("bucket size does not change the result") {
  const Data data = syntheticData(size_t(kGlobalBatch) * kSteps);
  const auto many = trainWorld(2, data, 1);  // a bucket per parameter
  const auto one = trainWorld(2, data, size_t(1) << 30);
  REQUIRE(many[0] == one[0]);
  REQUIRE(many[1] == one[1]);
}

TEST_CASE("buckets cover the parameters from the last to the first") {
  std::vector<weft::Comm> comms = weft::Comm::initAll(1);
  MnistNet<float> net;
  DataParallel perParam(comms[0], net.params(), 1);
  REQUIRE(perParam.bucketCount() == net.params().count());
  REQUIRE(perParam.bucketParams(0) == std::pair<size_t, size_t>{7, 8});
  // 32 KiB: fc2 and fc1 (64 KiB of weights) close the first bucket, conv2's 40 KB the second.
  DataParallel mid(comms[0], net.params(), 32 * 1024);
  REQUIRE(mid.bucketCount() == 3);
  REQUIRE(mid.bucketParams(0) == std::pair<size_t, size_t>{4, 8});
  REQUIRE(mid.bucketParams(1) == std::pair<size_t, size_t>{2, 4});
  REQUIRE(mid.bucketParams(2) == std::pair<size_t, size_t>{0, 2});
}
