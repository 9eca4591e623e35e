// SPDX-License-Identifier: Apache-2.0
// The SGD update and global-norm gradient clipping.
#include "train/optim/sgd.h"

#include <cmath>
#include <stdexcept>

namespace weft::train {

Sgd::Sgd(size_t paramCount, SgdOptions options) : options_(options), count_(paramCount) {
  if (options.lr < 0) throw std::invalid_argument("sgd: learning rate must not be negative");
  if (options.momentum < 0) throw std::invalid_argument("sgd: momentum must not be negative");
  if (options.weightDecay < 0) throw std::invalid_argument("sgd: weight decay must not be negative");
  if (options.nesterov && (options.momentum <= 0 || options.dampening != 0)) {
    throw std::invalid_argument("sgd: Nesterov momentum requires a momentum and zero dampening");
  }
  if (options.momentum != 0) buf_.resize(paramCount);
}

void Sgd::step(float* params, const float* grads) {
  const float lr = float(options_.lr), mom = float(options_.momentum), wd = float(options_.weightDecay);
  const float keep = 1.0f - float(options_.dampening);
  for (size_t i = 0; i < count_; ++i) {
    float d = grads[i] + wd * params[i];
    if (mom != 0) {
      buf_[i] = started_ ? mom * buf_[i] + keep * d : d;
      d = options_.nesterov ? d + mom * buf_[i] : buf_[i];
    }
    params[i] -= lr * d;
  }
  started_ = true;
}

double clipGradNorm(float* grads, size_t n, double maxNorm) {
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += double(grads[i]) * grads[i];
  const double norm = std::sqrt(sum);
  const double coef = maxNorm / (norm + 1e-6);
  if (coef < 1) {
    for (size_t i = 0; i < n; ++i) grads[i] = float(grads[i] * coef);
  }
  return norm;
}

}  // namespace weft::train
