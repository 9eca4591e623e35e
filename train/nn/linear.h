// SPDX-License-Identifier: Apache-2.0
// Fully connected layer: y = x W^T + b, W of shape [out, in] (PyTorch's layout).
#pragma once

#include <string>

#include "train/nn/params.h"
#include "train/rng.h"
#include "train/tensor.h"

namespace weft::train {

template <class T>
class Linear {
 public:
  Linear(ParamStore<T>& params, const std::string& name, int inFeatures, int outFeatures);

  void init(Rng& rng);
  // x [N, in] -> y [N, out]. x must stay unchanged until backward, which reads it.
  void forward(const TensorT<T>& x, TensorT<T>& y);
  // Sets the weight and bias gradients; writes dx unless null.
  void backward(const TensorT<T>& dy, TensorT<T>* dx);

  size_t weightIndex() const { return w_; }
  size_t biasIndex() const { return b_; }

 private:
  ParamStore<T>& params_;
  size_t w_, b_;
  int in_, out_;
  const TensorT<T>* x_ = nullptr;
};

}  // namespace weft::train
