// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a tuning table file (WEFT_TUNE_FILE, TuningTable::parse). Malformed text is an
// InvalidArgument; nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectives/tuner/table.h"
#include "common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)weft::coll::TuningTable::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz");
  } catch (const weft::InvalidArgument&) {
  }
  return 0;
}
