// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the bytes of an IDX file, gzip or plain (parseIdx, the path readIdx takes too).
// Malformed input is a std::runtime_error; anything accepted holds 1 to 4 dims and exactly
// their product of bytes, within the cap.
#include <cstddef>
#include <cstdint>
#include <span>
#include <stdexcept>

#include "train/data/idx.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace train = weft::train;
  try {
    const train::IdxArray a = train::parseIdx(std::span(data, size), "fuzz");
    uint64_t n = 1;
    for (uint32_t d : a.dims) n *= d;
    if (a.dims.empty() || a.dims.size() > 4 || n > train::kIdxMaxBytes || a.data.size() != n) __builtin_trap();
  } catch (const std::runtime_error&) {
  }
  return 0;
}
