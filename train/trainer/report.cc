// SPDX-License-Identifier: Apache-2.0
// Progress bar, log lines and metrics of train_mnist.
#include "train/trainer/report.h"

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "train/util.h"

namespace weft::train {

void Progress::startEpoch(int epoch, int64_t steps, int64_t firstStep, int64_t samplesPerStep) {
  epoch_ = epoch;
  steps_ = steps;
  firstStep_ = firstStep;
  samplesPerStep_ = samplesPerStep;
  start_ = lastDraw_ = std::chrono::steady_clock::now();
}

void Progress::update(int64_t step, double runningLoss) {
  const int64_t done = step + 1;
  const bool last = done == steps_;
  if (bar_) {
    if (!last && secondsSince(lastDraw_) < 0.1) return;  // redrawing costs a write; ten a second is plenty
    lastDraw_ = std::chrono::steady_clock::now();
  } else if (done % logEvery_ != 0 && !last) {
    return;
  }
  const double elapsed = secondsSince(start_);
  const double rate = elapsed > 0 ? double(done - firstStep_) * samplesPerStep_ / elapsed : 0;
  const double eta = rate > 0 ? double(steps_ - done) * samplesPerStep_ / rate : 0;
  if (bar_) {
    constexpr int kWidth = 30;
    const int filled = int(kWidth * done / (steps_ ? steps_ : 1));
    std::printf("\repoch %d [%-*s] %3d%% %lld/%lld  %.0f samples/s  loss %.4f  ETA %.0fs ", epoch_, kWidth,
                std::string(size_t(filled), '#').c_str(), int(100 * done / (steps_ ? steps_ : 1)), (long long)done,
                (long long)steps_, rate, runningLoss, eta);
  } else {
    std::printf("epoch %d step %lld/%lld loss %.4f %.0f samples/s ETA %.0fs\n", epoch_, (long long)done,
                (long long)steps_, runningLoss, rate, eta);
  }
  std::fflush(stdout);
}

void Progress::endEpoch() {
  if (bar_) std::printf("\n");
}

std::string epochSummary(const EpochMetrics& m) {
  char line[320];
  std::snprintf(line, sizeof line,
                "epoch %d: train loss %.4f, test loss %.4f, test accuracy %.2f%%, %.2f s, %.0f samples/s, "
                "waiting on communication %.1f%% (%d rank%s)",
                m.epoch, m.trainLoss, m.testLoss, 100 * m.testAccuracy, m.epochTimeS, m.samplesPerS,
                m.epochTimeS > 0 ? 100 * m.commWaitS / m.epochTimeS : 0.0, m.worldSize, m.worldSize == 1 ? "" : "s");
  return line;
}

void appendMetrics(const std::string& path, const EpochMetrics& m) {
  // JSON has no NaN or infinity: a diverged loss is written as null.
  auto num = [](double v, int digits) {
    if (!std::isfinite(v)) return std::string("null");
    char s[64];
    std::snprintf(s, sizeof s, "%.*f", digits, v);
    return std::string(s);
  };
  FILE* f = std::fopen(path.c_str(), "a");
  if (!f) throw std::runtime_error("--metrics " + path + ": " + std::strerror(errno));
  std::fprintf(f,
               "{\"epoch\": %d, \"train_loss\": %s, \"test_loss\": %s, \"test_accuracy\": %s, "
               "\"epoch_time_s\": %s, \"samples_per_s\": %s, \"comm_wait_s\": %s, \"world_size\": %d}\n",
               m.epoch, num(m.trainLoss, 6).c_str(), num(m.testLoss, 6).c_str(), num(m.testAccuracy, 6).c_str(),
               num(m.epochTimeS, 4).c_str(), num(m.samplesPerS, 2).c_str(), num(m.commWaitS, 4).c_str(), m.worldSize);
  const bool bad = std::ferror(f) != 0;
  if (std::fclose(f) != 0 || bad) throw std::runtime_error("--metrics " + path + ": write failed");
}

}  // namespace weft::train
