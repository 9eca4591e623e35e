// SPDX-License-Identifier: Apache-2.0
// What a communicator chooses algorithms by: WEFT_ALGO and the tuning table, read once at init.
#pragma once

#include <cstdint>
#include <memory>

#include "collectives/algo_spec.h"
#include "collectives/tuner/table.h"
#include "runtime/config.h"

namespace weft::runtime {

// Every rank of a communicator must choose alike, or ranks would run different algorithms for
// one call: the bootstrap compares fingerprints and refuses to connect ranks that differ.
struct Choosing {
  coll::AlgoSpec spec;
  std::shared_ptr<const coll::TuningTable> table;
  uint64_t fingerprint = 0;  // of WEFT_ALGO's text and the table

  // Parses WEFT_ALGO and loads WEFT_TUNE_FILE over the built-in table. Throws InvalidArgument.
  static Choosing fromConfig(const Config& config);
};

}  // namespace weft::runtime
