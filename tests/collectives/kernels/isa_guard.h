// SPDX-License-Identifier: Apache-2.0
// Runs a test at one forced SIMD level and returns to the automatic choice afterwards.
#pragma once

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "collectives/kernels/reduce.h"

namespace weft::coll::test {

// Every level the kernels know; tests GENERATE(from_range(kLevels)) and hand one to ForcedIsa.
inline const std::vector<std::string> kLevels{"generic", "avx2", "avx512"};

class ForcedIsa {
 public:
  explicit ForcedIsa(const std::string& level) : ok_(reduce::forceIsa(level.c_str())) {
    if (!ok_) WARN("this CPU lacks " << level << "; not tested");
  }
  ~ForcedIsa() { reduce::forceIsa("auto"); }
  ForcedIsa(const ForcedIsa&) = delete;
  ForcedIsa& operator=(const ForcedIsa&) = delete;
  bool ok() const { return ok_; }

 private:
  bool ok_;
};

}  // namespace weft::coll::test
