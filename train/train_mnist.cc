// SPDX-License-Identifier: Apache-2.0
// train_mnist: data-parallel training of the classic MNIST network on Fashion-MNIST (or any
// MNIST-format data), with the loop a distributed-training tutorial describes:
//   1. init the process group   2. distribute the data   3. broadcast the initial parameters
//   4. all-reduce (average) the gradients, overlapped with backward   5. update with SGD.
// Runs alone, under weftrun, mpirun, srun or torchrun (weftCommInitFromEnv reads them all).
#include <unistd.h>

#include <cstdio>
#include <exception>

#include "runtime/weft.hpp"
#include "train/blas.h"
#include "train/trainer/elastic.h"
#include "train/trainer/options.h"
#include "train/trainer/run.h"

int main(int argc, char** argv) {
  using namespace weft::train;
  reexecWithFasterBlas(argv);  // Note [BLAS kernels]
  TrainOptions options;
  std::string error;
  if (!parseTrainOptions(argc, argv, &options, &error)) {
    std::fprintf(stderr, "train_mnist: %s\n%s", error.c_str(), trainUsage());
    return 2;
  }
  setBlasThreads(options.threads);
  try {
    weft::Comm comm = weft::Comm::fromEnv();  // step 1
    if (!options.progress || !::isatty(STDOUT_FILENO)) options.progress = false;
    for (;;) {
      try {
        return runTraining(comm, options);
      } catch (const weft::Error& e) {
        if (!options.elastic) throw;
        comm = survive(comm, e);  // Note [Elastic training]
        options.resume = true;
      }
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "train_mnist: %s\n", e.what());
    return 1;
  }
}
