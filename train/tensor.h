// SPDX-License-Identifier: Apache-2.0
// A small dense tensor: a shape and contiguous row-major storage. Templated on the element type
// so that the layers run in float for training and in double for the gradient checks.
#pragma once

#include <cstddef>
#include <functional>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace weft::train {

inline size_t shapeSize(const std::vector<int>& shape) {
  return std::accumulate(shape.begin(), shape.end(), size_t(1), [](size_t a, int d) { return a * size_t(d); });
}

inline std::string shapeString(const std::vector<int>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

template <class T>
struct TensorT {
  std::vector<int> shape;
  std::vector<T> data;

  TensorT() = default;
  explicit TensorT(std::vector<int> s) : shape(std::move(s)), data(shapeSize(shape)) {}

  // Reshapes, keeping (and growing, never shrinking) the storage: buffers reused every step.
  void resize(const std::vector<int>& s) {
    shape = s;
    data.resize(shapeSize(s));
  }
  size_t size() const { return data.size(); }
  int dim(size_t i) const { return shape.at(i); }
  T* ptr() { return data.data(); }
  const T* ptr() const { return data.data(); }
};

using Tensor = TensorT<float>;

// Throws std::invalid_argument when x's shape is not `rank`-dimensional with the given trailing
// dimensions (-1: any), naming the layer.
inline void expectShape(const char* layer, const std::vector<int>& shape, std::vector<int> want) {
  bool ok = shape.size() == want.size();
  for (size_t i = 0; ok && i < want.size(); ++i) ok = want[i] < 0 || want[i] == shape[i];
  if (!ok) throw std::invalid_argument(std::string(layer) + ": input of shape " + shapeString(shape) + " where " +
                                       shapeString(want) + " was expected (-1: any)");
}

}  // namespace weft::train
