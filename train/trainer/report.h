// SPDX-License-Identifier: Apache-2.0
// What rank 0 tells the user: a progress bar on a terminal (or log lines otherwise), the epoch
// summary, and --metrics JSON lines.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace weft::train {

class Progress {
 public:
  // bar: redraw one line in place (stdout is a terminal); otherwise a line every logEvery steps.
  Progress(bool bar, int64_t logEvery) : bar_(bar), logEvery_(logEvery) {}
  void startEpoch(int epoch, int64_t steps, int64_t firstStep, int64_t samplesPerStep);
  // After step `step` (0-based) with the running mean loss so far.
  void update(int64_t step, double runningLoss);
  void endEpoch();

 private:
  bool bar_;
  int64_t logEvery_;
  int epoch_ = 0;
  int64_t steps_ = 0, firstStep_ = 0, samplesPerStep_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point lastDraw_;
};

struct EpochMetrics {
  int epoch = 0;  // 1-based, as printed
  double trainLoss = 0;
  double testAccuracy = 0;  // fraction
  double testLoss = 0;
  double epochTimeS = 0;
  double samplesPerS = 0;  // over all ranks
  double commWaitS = 0;    // rank 0's
  int worldSize = 1;
};

std::string epochSummary(const EpochMetrics& m);
// Appends m as one JSON object and a newline. Throws std::runtime_error when it cannot.
void appendMetrics(const std::string& path, const EpochMetrics& m);

}  // namespace weft::train
