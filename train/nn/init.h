// SPDX-License-Identifier: Apache-2.0
// PyTorch's default initialisation for Conv2d and Linear: weights Kaiming-uniform with a = sqrt(5),
// which is U(-b, b) with b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)), i.e. b = 1/sqrt(fan_in);
// biases U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
#pragma once

#include <cmath>
#include <cstddef>

#include "train/rng.h"

namespace weft::train {

template <class T>
void uniformFill(T* p, size_t n, double bound, Rng& rng) {
  for (size_t i = 0; i < n; ++i) p[i] = T(rng.uniform(-bound, bound));
}

inline double kaimingUniformBound(size_t fanIn) {
  const double a = std::sqrt(5.0);
  const double gain = std::sqrt(2.0 / (1.0 + a * a));
  return gain * std::sqrt(3.0 / double(fanIn));
}

inline double biasBound(size_t fanIn) { return 1.0 / std::sqrt(double(fanIn)); }

}  // namespace weft::train
