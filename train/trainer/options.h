// SPDX-License-Identifier: Apache-2.0
// train_mnist's command line.
#pragma once

#include <cstdint>
#include <string>

namespace weft::train {

struct TrainOptions {
  std::string data = "/usr/share/datasets/fashion-mnist";
  int epochs = 1;
  int batchSize = 64;  // per rank
  double lr = 0.01;
  double momentum = 0.9;
  double weightDecay = 0;
  bool nesterov = false;
  double clip = 10;  // global L2 norm; 0: no clipping
  uint64_t seed = 1;
  bool scatter = false;  // --data-dist scatter: rank 0 reads the data and scatters the shards
  std::string checkpointDir;
  int64_t checkpointEvery = 0;  // steps; 0: at the end of each epoch only
  int64_t maxSteps = 0;         // stop (as if interrupted) after this many steps in all; 0: no limit
  bool resume = false;
  bool elastic = false;  // on a lost rank: shrink it away and go on from the last checkpoint
  int threads = 1;
  int64_t limit = 0;  // training samples; 0: all
  int64_t testLimit = 0;
  std::string metrics;
  int64_t verifyEvery = 0;
  int64_t logEvery = 100;
  int64_t bucketKiB = 32;
  bool progress = true;  // a progress bar when stdout is a terminal
};

// Parses argv. Returns false and fills *error on a bad flag; prints usage and exits 0 on --help.
bool parseTrainOptions(int argc, char** argv, TrainOptions* o, std::string* error);
const char* trainUsage();

}  // namespace weft::train
