// SPDX-License-Identifier: Apache-2.0
// The parameter-free layers of the MNIST network: ReLU, 2x2 max pooling, and log-softmax with the
// negative log-likelihood loss (one layer, as the gradient of the pair is simple and stable).
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "train/tensor.h"

namespace weft::train {

template <class T>
class ReLU {
 public:
  void forward(const TensorT<T>& x, TensorT<T>& y) {
    y.resize(x.shape);
    for (size_t i = 0; i < x.size(); ++i) y.data[i] = x.data[i] > T(0) ? x.data[i] : T(0);
    y_ = &y;
  }
  // The gradient passes where the output was positive (PyTorch's choice at exactly 0: none).
  void backward(const TensorT<T>& dy, TensorT<T>& dx) {
    dx.resize(dy.shape);
    for (size_t i = 0; i < dy.size(); ++i) dx.data[i] = y_->data[i] > T(0) ? dy.data[i] : T(0);
  }

 private:
  const TensorT<T>* y_ = nullptr;  // the forward output, kept by the caller until backward
};

// max_pool2d(kernel 2, stride 2): odd trailing rows and columns are dropped, as in PyTorch.
template <class T>
class MaxPool2 {
 public:
  void forward(const TensorT<T>& x, TensorT<T>& y) {
    expectShape("max_pool2d", x.shape, {-1, -1, -1, -1});
    const int n = x.dim(0), c = x.dim(1), h = x.dim(2), w = x.dim(3), ho = h / 2, wo = w / 2;
    inShape_ = x.shape;
    y.resize({n, c, ho, wo});
    argmax_.resize(y.size());
    size_t o = 0;
    for (int p = 0; p < n * c; ++p) {
      const T* plane = x.ptr() + size_t(p) * h * w;
      for (int i = 0; i < ho; ++i) {
        for (int j = 0; j < wo; ++j, ++o) {
          uint32_t best = uint32_t(2 * i * w + 2 * j);
          for (uint32_t at : {best + 1, best + uint32_t(w), best + uint32_t(w) + 1}) {
            if (plane[at] > plane[best]) best = at;
          }
          argmax_[o] = uint32_t(size_t(p) * h * w + best);
          y.data[o] = plane[best];
        }
      }
    }
  }
  void backward(const TensorT<T>& dy, TensorT<T>& dx) {
    dx.resize(inShape_);
    std::fill(dx.data.begin(), dx.data.end(), T(0));
    for (size_t o = 0; o < dy.size(); ++o) dx.data[argmax_[o]] += dy.data[o];
  }

 private:
  std::vector<int> inShape_;
  std::vector<uint32_t> argmax_;
};

// ReLU followed by max_pool2d(2) in one pass: relu(max(window)) equals max(relu(window)) since
// ReLU is monotone, and so do the gradients (where the window's maximum is not positive both give
// zero). Saves a pass over, and a copy of, the largest activations of the network.
template <class T>
class ReluMaxPool2 {
 public:
  void forward(const TensorT<T>& x, TensorT<T>& y) {
    expectShape("relu_max_pool2d", x.shape, {-1, -1, -1, -1});
    const int planes = x.dim(0) * x.dim(1), h = x.dim(2), w = x.dim(3), ho = h / 2, wo = w / 2;
    inShape_ = x.shape;
    y.resize({x.dim(0), x.dim(1), ho, wo});
    argmax_.resize(y.size());
    size_t o = 0;
    for (int p = 0; p < planes; ++p) {
      const T* plane = x.ptr() + size_t(p) * h * w;
      for (int i = 0; i < ho; ++i) {
        const T* r0 = plane + size_t(2 * i) * w;
        const T* r1 = r0 + w;
        for (int j = 0; j < wo; ++j, ++o) {
          // The first maximum in row-major order wins, as in PyTorch. Integer arithmetic on the
          // comparisons rather than branches: which element wins is a coin toss the branch
          // predictor loses (branches made this pass 5x slower).
          const T a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
          const unsigned right = b > a, rightBelow = d > c;
          const T top = std::max(a, b), bottom = std::max(c, d);  // ties keep the first
          const unsigned below = bottom > top;
          const unsigned at = below * (2 + rightBelow) + (1 - below) * right;
          const T best = std::max(top, bottom);
          const unsigned positive = best > T(0);
          argmax_[o] = uint8_t(positive * at + (1 - positive) * kNone);
          y.data[o] = std::max(best, T(0));
        }
      }
    }
  }
  // Writes every element of dx once (no separate zeroing pass).
  void backward(const TensorT<T>& dy, TensorT<T>& dx) {
    const int n = inShape_[0], c = inShape_[1], h = inShape_[2], w = inShape_[3], ho = h / 2, wo = w / 2;
    dx.resize(inShape_);
    if (h % 2 || w % 2) std::fill(dx.data.begin(), dx.data.end(), T(0));  // rows and columns no window covers
    size_t o = 0;
    for (int p = 0; p < n * c; ++p) {
      T* plane = dx.ptr() + size_t(p) * h * w;
      for (int i = 0; i < ho; ++i) {
        T* r0 = plane + size_t(2 * i) * w;
        T* r1 = r0 + w;
        for (int j = 0; j < wo; ++j, ++o) {
          const unsigned at = argmax_[o];
          const T g = dy.data[o];
          r0[2 * j] = keepIf(at == 0, g);
          r0[2 * j + 1] = keepIf(at == 1, g);
          r1[2 * j] = keepIf(at == 2, g);
          r1[2 * j + 1] = keepIf(at == 3, g);
        }
      }
    }
  }

 private:
  // v if keep, else +0, without a branch.
  static T keepIf(bool keep, T v) {
    using Bits = std::conditional_t<sizeof(T) == 4, uint32_t, uint64_t>;
    return std::bit_cast<T>(std::bit_cast<Bits>(v) & (Bits(0) - Bits(keep)));
  }
  static constexpr uint8_t kNone = 4;  // the maximum was not positive: no gradient
  std::vector<int> inShape_;
  std::vector<uint8_t> argmax_;  // position in the window, or kNone
};

// log_softmax over the last dimension followed by the mean negative log-likelihood of the labels.
template <class T>
class LogSoftmaxNll {
 public:
  // logits [N, K], labels N values in [0, K). Returns the mean loss; keeps log-probabilities.
  double forward(const TensorT<T>& logits, const uint8_t* labels) {
    expectShape("log_softmax", logits.shape, {-1, -1});
    const int n = logits.dim(0), k = logits.dim(1);
    logp_.resize(logits.shape);
    labels_.assign(labels, labels + n);
    double loss = 0;
    for (int b = 0; b < n; ++b) {
      const T* row = logits.ptr() + size_t(b) * k;
      T* out = logp_.ptr() + size_t(b) * k;
      const T m = *std::max_element(row, row + k);
      T sum = 0;
      for (int j = 0; j < k; ++j) sum += std::exp(row[j] - m);
      const T lse = m + std::log(sum);
      for (int j = 0; j < k; ++j) out[j] = row[j] - lse;
      if (labels[b] >= k) throw std::invalid_argument("nll_loss: label " + std::to_string(labels[b]) + " out of range");
      loss -= double(out[labels[b]]);
    }
    return n ? loss / n : 0.0;
  }
  // The gradient of the mean loss: (softmax - onehot) / N.
  void backward(TensorT<T>& dlogits) const {
    const int n = logp_.dim(0), k = logp_.dim(1);
    dlogits.resize(logp_.shape);
    for (int b = 0; b < n; ++b) {
      for (int j = 0; j < k; ++j) {
        const size_t i = size_t(b) * k + j;
        dlogits.data[i] = (std::exp(logp_.data[i]) - (j == labels_[b] ? T(1) : T(0))) / T(n);
      }
    }
  }
  const TensorT<T>& logProbs() const { return logp_; }

 private:
  TensorT<T> logp_;
  std::vector<uint8_t> labels_;
};

}  // namespace weft::train
