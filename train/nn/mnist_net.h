// SPDX-License-Identifier: Apache-2.0
// The classic MNIST network: conv1(1, 20, 5) -> ReLU -> max_pool2d(2) -> conv2(20, 20, 5) -> ReLU
// -> max_pool2d(2) -> flatten (320) -> fc1(320, 50) -> ReLU -> fc2(50, 10) -> log_softmax, trained
// with the negative log-likelihood.
#pragma once

#include <cstdint>
#include <functional>

#include "train/nn/activations.h"
#include "train/nn/conv2d.h"
#include "train/nn/linear.h"
#include "train/nn/params.h"

namespace weft::train {

template <class T>
class MnistNet {
 public:
  static constexpr int kImageSide = 28;
  static constexpr int kClasses = 10;

  MnistNet();
  MnistNet(const MnistNet&) = delete;
  MnistNet& operator=(const MnistNet&) = delete;

  // PyTorch's default initialisation, layer by layer in construction order.
  void init(Rng& rng);
  // x [N, 1, 28, 28] -> log-probabilities [N, 10] (logProbs()); returns the mean NLL of `labels`.
  double forward(const TensorT<T>& x, const uint8_t* labels);
  // Backpropagates the last forward's loss, setting every gradient. After each layer it calls
  // ready(first): the parameters from index `first` to the end now hold their gradients (the
  // data-parallel wrapper starts all-reducing them while earlier layers are still computed).
  void backward(const std::function<void(size_t)>& ready = {});

  const TensorT<T>& logProbs() const { return loss_.logProbs(); }
  ParamStore<T>& params() { return params_; }
  const ParamStore<T>& params() const { return params_; }

 private:
  ParamStore<T> params_;
  Conv2d<T> conv1_;
  Conv2d<T> conv2_;
  Linear<T> fc1_;
  Linear<T> fc2_;
  ReluMaxPool2<T> pool1_, pool2_;  // ReLU and max_pool2d of each convolution
  ReLU<T> relu3_;
  LogSoftmaxNll<T> loss_;
  // Activations (forward) and their gradients (backward), reused every step.
  TensorT<T> c1_, p1_, c2_, p2_, h1_, r3_, out_;
  TensorT<T> g_, g2_;
};

}  // namespace weft::train
