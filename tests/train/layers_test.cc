// SPDX-License-Identifier: Apache-2.0
// Every layer's backward pass against central finite differences, in double precision: for a
// random upstream gradient r, the scalar L = sum(r * layer(x)) has dL/dx = backward(r).
#include <catch2/catch.hpp>

#include <cmath>
#include <functional>
#include <vector>

#include "train/nn/activations.h"
#include "train/nn/conv2d.h"
#include "train/nn/linear.h"
#include "train/nn/mnist_net.h"

using namespace weft::train;
using T = double;

namespace {

TensorT<T> randomTensor(std::vector<int> shape, Rng& rng, double lo = -1, double hi = 1) {
  TensorT<T> t(std::move(shape));
  for (auto& v : t.data) v = rng.uniform(lo, hi);
  return t;
}

double dot(const TensorT<T>& a, const TensorT<T>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a.data[i] * b.data[i];
  return s;
}

// Compares analytic[i] with the central difference of loss() in *value[i], for every i.
void checkGradient(const char* what, T* value, const T* analytic, size_t n, const std::function<double()>& loss) {
  constexpr double h = 1e-6;
  for (size_t i = 0; i < n; ++i) {
    const T saved = value[i];
    value[i] = saved + h;
    const double up = loss();
    value[i] = saved - h;
    const double down = loss();
    value[i] = saved;
    const double numeric = (up - down) / (2 * h);
    INFO(what << "[" << i << "]: analytic " << analytic[i] << ", numeric " << numeric);
    REQUIRE(std::abs(analytic[i] - numeric) <= 1e-6 + 1e-5 * std::abs(numeric));
  }
}

}  // namespace

// Input, weight and bias gradients of a layer with parameters 0 (weight) and 1 (bias) in `params`;
// returns the forward output's shape.
template <class Layer>
std::vector<int> checkLayerGradients(Layer& layer, ParamStore<T>& params, TensorT<T> x, Rng& rng) {
  TensorT<T> y;
  layer.forward(x, y);
  const TensorT<T> r = randomTensor(y.shape, rng);
  TensorT<T> dx;
  layer.backward(r, &dx);
  const std::vector<T> gw(params.grad(0), params.grad(0) + params.entry(0).size);
  const std::vector<T> gb(params.grad(1), params.grad(1) + params.entry(1).size);
  auto loss = [&] {
    TensorT<T> out;
    layer.forward(x, out);
    return dot(out, r);
  };
  checkGradient("dx", x.ptr(), dx.ptr(), x.size(), loss);
  checkGradient("dw", params.value(0), gw.data(), gw.size(), loss);
  checkGradient("db", params.value(1), gb.data(), gb.size(), loss);
  return y.shape;
}

TEST_CASE("conv2d gradients match finite differences") {
  Rng rng(1);
  ParamStore<T> params;
  Conv2d<T> conv(params, "conv", 2, 3, 3);
  conv.init(rng);
  TensorT<T> x = randomTensor({2, 2, 6, 5}, rng);
  REQUIRE(checkLayerGradients(conv, params, x, rng) == std::vector<int>{2, 3, 4, 3});
}

TEST_CASE("linear gradients match finite differences") {
  Rng rng(2);
  ParamStore<T> params;
  Linear<T> fc(params, "fc", 4, 3);
  fc.init(rng);
  TensorT<T> x = randomTensor({5, 4}, rng);
  checkLayerGradients(fc, params, x, rng);
}

TEST_CASE("relu and max-pool gradients match finite differences") {
  Rng rng(3);
  // Inputs kept away from ReLU's kink and from ties in a pooling window.
  TensorT<T> x = randomTensor({2, 2, 5, 6}, rng);
  for (size_t i = 0; i < x.size(); ++i) x.data[i] = (x.data[i] < 0 ? -0.1 : 0.1) + x.data[i] + 1e-3 * double(i);
  ReLU<T> relu;
  MaxPool2<T> pool;
  TensorT<T> a, b;
  relu.forward(x, a);
  pool.forward(a, b);
  REQUIRE(b.shape == std::vector<int>{2, 2, 2, 3});
  const TensorT<T> r = randomTensor(b.shape, rng);
  TensorT<T> da, dx;
  pool.backward(r, da);
  relu.backward(da, dx);
  auto loss = [&] {
    ReLU<T> relu2;
    MaxPool2<T> pool2;
    TensorT<T> a2, b2;
    relu2.forward(x, a2);
    pool2.forward(a2, b2);
    return dot(b2, r);
  };
  checkGradient("dx", x.ptr(), dx.ptr(), x.size(), loss);
}

TEST_CASE("log-softmax with NLL: loss and gradient") {
  Rng rng(4);
  TensorT<T> logits = randomTensor({3, 10}, rng, -3, 3);
  const uint8_t labels[3] = {0, 9, 4};
  LogSoftmaxNll<T> nll;
  const double loss = nll.forward(logits, labels);
  // By hand: mean over rows of log(sum exp) - logit[label].
  double expect = 0;
  for (int b = 0; b < 3; ++b) {
    double s = 0;
    for (int j = 0; j < 10; ++j) s += std::exp(logits.data[b * 10 + j]);
    expect += std::log(s) - logits.data[b * 10 + labels[b]];
  }
  REQUIRE(loss == Approx(expect / 3).epsilon(1e-12));
  TensorT<T> d;
  nll.backward(d);
  auto f = [&] {
    LogSoftmaxNll<T> other;
    return other.forward(logits, labels);
  };
  checkGradient("dlogits", logits.ptr(), d.ptr(), logits.size(), f);
  uint8_t bad[3] = {0, 10, 1};
  REQUIRE_THROWS_AS(nll.forward(logits, bad), std::invalid_argument);
}

TEST_CASE("the whole network's parameter gradients match finite differences") {
  Rng rng(5);
  MnistNet<T> net;
  net.init(rng);
  const TensorT<T> x = randomTensor({2, 1, 28, 28}, rng);
  const uint8_t labels[2] = {3, 7};
  net.forward(x, labels);
  std::vector<size_t> order;
  net.backward([&](size_t first) { order.push_back(first); });
  // Backward reports layers from the last to the first.
  REQUIRE(order == std::vector<size_t>{6, 4, 2, 0});
  ParamStore<T>& p = net.params();
  const std::vector<T> grads = p.grads();
  auto loss = [&] { return net.forward(x, labels); };
  // A spread of coordinates in every parameter (all of them would take minutes).
  for (size_t k = 0; k < p.count(); ++k) {
    const size_t size = p.entry(k).size, step = std::max<size_t>(1, size / 7);
    for (size_t i = 0; i < size; i += step) {
      checkGradient(p.entry(k).name.c_str(), p.value(k) + i, grads.data() + p.entry(k).offset + i, 1, loss);
    }
  }
}

TEST_CASE("layers refuse inputs of the wrong shape") {
  ParamStore<float> params;
  Conv2d<float> conv(params, "conv", 3, 4, 5);
  Tensor y;
  REQUIRE_THROWS_AS(conv.forward(Tensor({1, 2, 8, 8}), y), std::invalid_argument);
  REQUIRE_THROWS_AS(conv.forward(Tensor({1, 3, 4, 8}), y), std::invalid_argument);
  Linear<float> fc(params, "fc", 6, 2);
  REQUIRE_THROWS_AS(fc.forward(Tensor({2, 5}), y), std::invalid_argument);
}

TEST_CASE("fused relu + max-pool equals relu then max-pool, forward and backward") {
  Rng rng(6);
  for (const std::vector<int>& shape : {std::vector<int>{2, 3, 6, 8}, std::vector<int>{1, 2, 7, 5}}) {
    TensorT<T> x = randomTensor(shape, rng);
    // Ties and all-negative windows on purpose.
    for (size_t i = 0; i < x.size(); i += 5) x.data[i] = x.data[i + 1 < x.size() ? i + 1 : i];
    for (size_t i = 0; i < 8 && i < x.size(); ++i) x.data[i] = -std::abs(x.data[i]);
    ReLU<T> relu;
    MaxPool2<T> pool;
    ReluMaxPool2<T> fused;
    TensorT<T> a, b, f;
    relu.forward(x, a);
    pool.forward(a, b);
    fused.forward(x, f);
    REQUIRE(f.shape == b.shape);
    REQUIRE(f.data == b.data);
    const TensorT<T> r = randomTensor(b.shape, rng);
    TensorT<T> da, dx, dfused;
    pool.backward(r, da);
    relu.backward(da, dx);
    dfused.data.assign(x.size(), 123.0);  // stale values must all be overwritten
    fused.backward(r, dfused);
    REQUIRE(dfused.shape == x.shape);
    REQUIRE(dfused.data == dx.data);
  }
}
