// SPDX-License-Identifier: Apache-2.0
// The training loop of train_mnist over an initialised communicator.
#pragma once

#include "runtime/weft.hpp"
#include "train/trainer/options.h"

namespace weft::train {

// Trains, evaluates and reports as the options say; returns the exit code. Throws on errors
// (bad data, failed collectives, unwritable files).
int runTraining(weft::Comm& comm, TrainOptions options);

}  // namespace weft::train
