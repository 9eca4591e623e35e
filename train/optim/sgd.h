// SPDX-License-Identifier: Apache-2.0
// Stochastic gradient descent with momentum, dampening, weight decay and Nesterov momentum, with
// torch.optim.SGD's update rule, over a model's flat parameter and gradient arrays.
#pragma once

#include <cstddef>
#include <vector>

namespace weft::train {

struct SgdOptions {
  double lr = 0.01;
  double momentum = 0.0;
  double dampening = 0.0;
  double weightDecay = 0.0;
  bool nesterov = false;
};

// Loop-bound (one training thread).
class Sgd {
 public:
  // Throws std::invalid_argument for a negative rate, momentum or decay, or Nesterov without
  // momentum or with dampening (as PyTorch does).
  Sgd(size_t paramCount, SgdOptions options);

  // One step: d = g + wd * p; with momentum, buf = d on the first step and
  // buf = momentum * buf + (1 - dampening) * d after, and d = nesterov ? d + momentum * buf : buf;
  // then p -= lr * d.
  void step(float* params, const float* grads);

  const SgdOptions& options() const { return options_; }
  // The momentum buffers and whether they exist yet (for checkpoints).
  std::vector<float>& momentumBuffer() { return buf_; }
  bool& started() { return started_; }

 private:
  SgdOptions options_;
  size_t count_;
  std::vector<float> buf_;  // empty without momentum
  bool started_ = false;
};

// Scales `grads` so that their global L2 norm is at most maxNorm (torch.nn.utils.clip_grad_norm_:
// factor maxNorm / (norm + 1e-6) when below 1). Returns the norm before clipping.
double clipGradNorm(float* grads, size_t n, double maxNorm);

}  // namespace weft::train
