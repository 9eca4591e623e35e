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

// Note [Conv2d layout]
// Sample b's input unfolds into cols_b [C*k*k, Ho*Wo], row (c, i, j) holding x[b][c][oh + i][ow + j]
// at column oh * Wo + ow. Then y_b [Co, Ho*Wo] = W [Co, C*k*k] cols_b lands in y's own layout, and
// backward needs no transposes: dW += dy_b cols_b^T, dcols_b = W^T dy_b, folded back into dx_b.
// Per sample, the unfolded input and its gradient stay in the cache (one GEMM over the whole
// batch measured slower: its [C*k*k, N*Ho*Wo] operands are megabytes, and y needs reordering).

template <class T>
void Conv2d<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  expectShape("conv2d", x.shape, {-1, cin_, -1, -1});
  const int n = x.dim(0), h = x.dim(2), w = x.dim(3), ho = h - k_ + 1, wo = w - k_ + 1;
  if (ho < 1 || wo < 1) throw std::invalid_argument("conv2d: input smaller than the kernel");
  inShape_ = x.shape;
  const size_t plane = size_t(ho) * wo, rows = size_t(cin_) * k_ * k_;
  cols_.resize(size_t(n) * rows * plane);
  y.resize({n, cout_, ho, wo});
  const T* bias = params_.value(b_);
  for (int b = 0; b < n; ++b) {
    T* cols = cols_.data() + size_t(b) * rows * plane;
    for (int c = 0; c < cin_; ++c) {
      const T* in = x.ptr() + (size_t(b) * cin_ + c) * h * w;
      for (int i = 0; i < k_; ++i) {
        for (int j = 0; j < k_; ++j) {
          T* row = cols + ((size_t(c) * k_ + i) * k_ + j) * plane;
          for (int oh = 0; oh < ho; ++oh) {
            // A loop, not std::copy_n: rows are 8-24 floats, shorter than a memmove call's cost.
            const T* src = in + size_t(oh + i) * w + j;
            T* dst = row + size_t(oh) * wo;
            for (int ow = 0; ow < wo; ++ow) dst[ow] = src[ow];
          }
        }
      }
    }
    T* out = y.ptr() + size_t(b) * cout_ * plane;
    for (int co = 0; co < cout_; ++co) std::fill_n(out + size_t(co) * plane, plane, bias[co]);
    gemm(false, false, cout_, int(plane), int(rows), T(1), params_.value(w_), int(rows), cols, int(plane), T(1), out,
         int(plane));
  }
}

template <class T>
void Conv2d<T>::backward(const TensorT<T>& dy, TensorT<T>* dx) {
  const int n = inShape_.at(0), h = inShape_[2], w = inShape_[3], ho = h - k_ + 1, wo = w - k_ + 1;
  expectShape("conv2d backward", dy.shape, {n, cout_, ho, wo});
  const size_t plane = size_t(ho) * wo, rows = size_t(cin_) * k_ * k_;
  T* gb = params_.grad(b_);
  std::fill(gb, gb + cout_, T(0));
  for (int b = 0; b < n; ++b) {
    const T* g = dy.ptr() + size_t(b) * cout_ * plane;
    for (int co = 0; co < cout_; ++co) {
      T sum = 0;
      for (size_t p = 0; p < plane; ++p) sum += g[size_t(co) * plane + p];
      gb[co] += sum;
    }
    gemm(false, true, cout_, int(rows), int(plane), T(1), g, int(plane), cols_.data() + size_t(b) * rows * plane,
         int(plane), T(b == 0 ? 0 : 1), params_.grad(w_), int(rows));
  }
  if (!dx) return;
  dx->resize(inShape_);
  std::fill(dx->data.begin(), dx->data.end(), T(0));
  dcols_.resize(rows * plane);
  for (int b = 0; b < n; ++b) {
    gemm(true, false, int(rows), int(plane), cout_, T(1), params_.value(w_), int(rows),
         dy.ptr() + size_t(b) * cout_ * plane, int(plane), T(0), dcols_.data(), int(plane));
    for (int c = 0; c < cin_; ++c) {
      T* out = dx->ptr() + (size_t(b) * cin_ + c) * h * w;
      for (int i = 0; i < k_; ++i) {
        for (int j = 0; j < k_; ++j) {
          const T* row = dcols_.data() + ((size_t(c) * k_ + i) * k_ + j) * plane;
          for (int oh = 0; oh < ho; ++oh) {
            T* d = out + size_t(oh + i) * w + j;
            const T* src = row + size_t(oh) * wo;
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
