// SPDX-License-Identifier: Apache-2.0
// A model's parameters and their gradients, each kept in one flat array in registration order, so
// that the optimizer and the gradient all-reduce see contiguous memory (and a bucket of
// neighbouring parameters is one slice).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "train/tensor.h"

namespace weft::train {

template <class T>
class ParamStore {
 public:
  struct Entry {
    std::string name;
    std::vector<int> shape;
    size_t offset = 0;
    size_t size = 0;
  };

  // Registers a parameter (zero-filled); returns its index. Pointers into the store are only
  // taken after registration ends (value()/grad() at use).
  size_t add(std::string name, std::vector<int> shape) {
    Entry e{std::move(name), std::move(shape), values_.size(), 0};
    e.size = shapeSize(e.shape);
    values_.resize(values_.size() + e.size);
    grads_.resize(values_.size());
    entries_.push_back(std::move(e));
    return entries_.size() - 1;
  }

  size_t count() const { return entries_.size(); }
  const Entry& entry(size_t i) const { return entries_.at(i); }
  T* value(size_t i) { return values_.data() + entries_[i].offset; }
  T* grad(size_t i) { return grads_.data() + entries_[i].offset; }
  const T* value(size_t i) const { return values_.data() + entries_[i].offset; }

  // All values or gradients, flat.
  std::vector<T>& values() { return values_; }
  std::vector<T>& grads() { return grads_; }
  const std::vector<T>& values() const { return values_; }
  const std::vector<T>& grads() const { return grads_; }

 private:
  std::vector<Entry> entries_;
  std::vector<T> values_;
  std::vector<T> grads_;
};

}  // namespace weft::train
