// SPDX-License-Identifier: Apache-2.0
// Conv2d: im2col of the batch, a GEMM with the weights, and the reverse for the gradients.
#include "train/nn/conv2d.h"

#include <algorithm>

#include "train/blas.h"
#include "train/nn/init.h"

namespace weft::train {

template <class T>
Conv2d<T>::Conv2d(ParamStore<T>& params, const std::string& name, int inChannels, int outChannels, int kernel)
    : params_(params), w_(params.add(name + ".weight", {outChannels, inChannels, kernel, kernel})),
      b_(params.add(name + ".bias", {outChannels})), cin_(inChannels), cout_(outChannels), k_(kernel) {}

template <class T>
void Conv2d<T>::init(Rng& rng) {
  const size_t fanIn = size_t(cin_) * k_ * k_;
  uniformFill(params_.value(w_), params_.entry(w_).size, kaimingUniformBound(fanIn), rng);
  uniformFill(params_.value(b_), params_.entry(b_).size, biasBound(fanIn), rng);
}

template <class T>
void Conv2d<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  expectShape("conv2d", x.shape, {-1, cin_, -1, -1});
  const int n = x.dim(0), h = x.dim(2), w = x.dim(3), ho = h - k_ + 1, wo = w - k_ + 1;
  if (ho < 1 || wo < 1) throw std::invalid_argument("conv2d: input smaller than the kernel");
  inShape_ = x.shape;
  const size_t plane = size_t(ho) * wo, cols = size_t(n) * plane, rows = size_t(cin_) * k_ * k_;
  cols_.resize(rows * cols);
  // Row (c, i, j) of cols holds x[n][c][oh + i][ow + j] at column n * plane + oh * wo + ow.
  for (int c = 0; c < cin_; ++c) {
    for (int i = 0; i < k_; ++i) {
      for (int j = 0; j < k_; ++j) {
        T* row = cols_.data() + ((size_t(c) * k_ + i) * k_ + j) * cols;
        for (int b = 0; b < n; ++b) {
          const T* src = x.ptr() + ((size_t(b) * cin_ + c) * h + i) * w + j;
          for (int oh = 0; oh < ho; ++oh) std::copy_n(src + size_t(oh) * w, wo, row + b * plane + size_t(oh) * wo);
        }
      }
    }
  }
  tmp_.resize(size_t(cout_) * cols);
  gemm(false, false, cout_, int(cols), int(rows), T(1), params_.value(w_), int(rows), cols_.data(), int(cols), T(0),
       tmp_.data(), int(cols));
  y.resize({n, cout_, ho, wo});
  const T* bias = params_.value(b_);
  for (int b = 0; b < n; ++b) {
    for (int co = 0; co < cout_; ++co) {
      const T* src = tmp_.data() + size_t(co) * cols + b * plane;
      T* dst = y.ptr() + (size_t(b) * cout_ + co) * plane;
      for (size_t p = 0; p < plane; ++p) dst[p] = src[p] + bias[co];
    }
  }
}

template <class T>
void Conv2d<T>::backward(const TensorT<T>& dy, TensorT<T>* dx) {
  const int n = inShape_.at(0), h = inShape_[2], w = inShape_[3], ho = h - k_ + 1, wo = w - k_ + 1;
  expectShape("conv2d backward", dy.shape, {n, cout_, ho, wo});
  const size_t plane = size_t(ho) * wo, cols = size_t(n) * plane, rows = size_t(cin_) * k_ * k_;
  // dy as [Co, N * plane], the layout of the forward product.
  T* gb = params_.grad(b_);
  std::fill(gb, gb + cout_, T(0));
  for (int b = 0; b < n; ++b) {
    for (int co = 0; co < cout_; ++co) {
      const T* src = dy.ptr() + (size_t(b) * cout_ + co) * plane;
      std::copy_n(src, plane, tmp_.data() + size_t(co) * cols + b * plane);
      T sum = 0;
      for (size_t p = 0; p < plane; ++p) sum += src[p];
      gb[co] += sum;
    }
  }
  gemm(false, true, cout_, int(rows), int(cols), T(1), tmp_.data(), int(cols), cols_.data(), int(cols), T(0),
       params_.grad(w_), int(rows));
  if (!dx) return;
  dcols_.resize(rows * cols);
  gemm(true, false, int(rows), int(cols), cout_, T(1), params_.value(w_), int(rows), tmp_.data(), int(cols), T(0),
       dcols_.data(), int(cols));
  dx->resize(inShape_);
  std::fill(dx->data.begin(), dx->data.end(), T(0));
  for (int c = 0; c < cin_; ++c) {
    for (int i = 0; i < k_; ++i) {
      for (int j = 0; j < k_; ++j) {
        const T* row = dcols_.data() + ((size_t(c) * k_ + i) * k_ + j) * cols;
        for (int b = 0; b < n; ++b) {
          T* dst = dx->ptr() + ((size_t(b) * cin_ + c) * h + i) * w + j;
          for (int oh = 0; oh < ho; ++oh) {
            const T* src = row + b * plane + size_t(oh) * wo;
            T* d = dst + size_t(oh) * w;
            for (int ow = 0; ow < wo; ++ow) d[ow] += src[ow];
          }
        }
      }
    }
  }
}

template class Conv2d<float>;
template class Conv2d<double>;

}  // namespace weft::train
