// SPDX-License-Identifier: Apache-2.0
// 2-D convolution, stride 1, no padding, as im2col + GEMM, one sample at a time (Note [Conv2d
// layout] in conv2d.cc).
#pragma once

#include <string>
#include <vector>

#include "train/nn/params.h"
#include "train/rng.h"
#include "train/tensor.h"

namespace weft::train {

// Loop-bound: one thread runs a layer; forward keeps what the next backward needs.
template <class T>
class Conv2d {
 public:
  Conv2d(ParamStore<T>& params, const std::string& name, int inChannels, int outChannels, int kernel);

  void init(Rng& rng);
  // x [N, C, H, W] -> y [N, Co, H-k+1, W-k+1]. Throws std::invalid_argument on a wrong shape.
  void forward(const TensorT<T>& x, TensorT<T>& y);
  // dy shaped as y. Sets the weight and bias gradients, and writes dx (shaped as x) unless null.
  void backward(const TensorT<T>& dy, TensorT<T>* dx);

  size_t weightIndex() const { return w_; }
  size_t biasIndex() const { return b_; }

 private:
  ParamStore<T>& params_;
  size_t w_, b_;
  int cin_, cout_, k_;
  std::vector<int> inShape_;
  std::vector<T> cols_;   // N x [C*k*k, Ho*Wo]: the last input, unfolded
  std::vector<T> dcols_;  // [C*k*k, Ho*Wo]: one sample's input gradient, before folding
};

}  // namespace weft::train
