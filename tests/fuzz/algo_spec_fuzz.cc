// SPDX-License-Identifier: Apache-2.0
// Fuzz target: a WEFT_ALGO value (AlgoSpec::parse). Malformed text is an InvalidArgument;
// nothing else may escape.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "collectives/algo_spec.h"
#include "common/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    (void)weft::coll::AlgoSpec::parse(std::string_view(reinterpret_cast<const char*>(data), size));
  } catch (const weft::InvalidArgument&) {
  }
  return 0;
}
