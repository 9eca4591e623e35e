// SPDX-License-Identifier: Apache-2.0
// Linear: three GEMMs (forward, weight gradient, input gradient) and a column sum.
#include "train/nn/linear.h"

#include <algorithm>

#include "train/blas.h"
#include "train/nn/init.h"

namespace weft::train {

template <class T>
Linear<T>::Linear(ParamStore<T>& params, const std::string& name, int inFeatures, int outFeatures)
    : params_(params), w_(params.add(name + ".weight", {outFeatures, inFeatures})),
      b_(params.add(name + ".bias", {outFeatures})), in_(inFeatures), out_(outFeatures) {}

template <class T>
void Linear<T>::init(Rng& rng) {
  uniformFill(params_.value(w_), params_.entry(w_).size, kaimingUniformBound(size_t(in_)), rng);
  uniformFill(params_.value(b_), params_.entry(b_).size, biasBound(size_t(in_)), rng);
}

template <class T>
void Linear<T>::forward(const TensorT<T>& x, TensorT<T>& y) {
  expectShape("linear", x.shape, {-1, in_});
  x_ = &x;
  const int n = x.dim(0);
  y.resize({n, out_});
  const T* bias = params_.value(b_);
  for (int b = 0; b < n; ++b) std::copy_n(bias, out_, y.ptr() + size_t(b) * out_);
  gemm(false, true, n, out_, in_, T(1), x.ptr(), in_, params_.value(w_), in_, T(1), y.ptr(), out_);
}

template <class T>
void Linear<T>::backward(const TensorT<T>& dy, TensorT<T>* dx) {
  const int n = x_->dim(0);
  expectShape("linear backward", dy.shape, {n, out_});
  gemm(true, false, out_, in_, n, T(1), dy.ptr(), out_, x_->ptr(), in_, T(0), params_.grad(w_), in_);
  T* gb = params_.grad(b_);
  std::fill(gb, gb + out_, T(0));
  for (int b = 0; b < n; ++b) {
    const T* row = dy.ptr() + size_t(b) * out_;
    for (int o = 0; o < out_; ++o) gb[o] += row[o];
  }
  if (!dx) return;
  dx->resize({n, in_});
  gemm(false, false, n, in_, out_, T(1), dy.ptr(), out_, params_.value(w_), in_, T(0), dx->ptr(), in_);
}

template class Linear<float>;
template class Linear<double>;

}  // namespace weft::train
