// SPDX-License-Identifier: Apache-2.0
// A decorator that puts every key under "prefix/" in an inner store (c10d PrefixStore), so that
// several groups can share one store without their keys colliding.
#pragma once

#include <memory>

#include "runtime/store/store.h"

namespace weft::store {

// Thread-safe when the inner store is (all stores are). Errors from the inner store are
// rethrown with the same type, their keys shown without the prefix.
class PrefixStore : public Store {
 public:
  // Throws InvalidArgument for an empty prefix or a null inner store.
  PrefixStore(std::string prefix, std::shared_ptr<Store> inner);

  void set(const std::string& key, const Bytes& value) override;
  Bytes get(const std::string& key, Deadline deadline) override;
  int64_t add(const std::string& key, int64_t delta) override;
  void wait(const std::vector<std::string>& keys, Deadline deadline) override;
  // "<inner> (prefix 'group0')".
  std::string describe() const override;

  const std::string& prefix() const { return prefix_; }
  const std::shared_ptr<Store>& inner() const { return inner_; }

 private:
  // The inner key; throws InvalidArgument for an empty key (which "prefix/" would hide).
  std::string full(const std::string& key) const;
  // Runs fn, rewriting "'prefix/key'" into "'key'" in the message of any weft::Error it throws.
  template <class Fn>
  auto unprefixErrors(Fn&& fn) -> decltype(fn());
  std::string unprefix(const std::string& message) const;

  const std::string prefix_;
  const std::shared_ptr<Store> inner_;
};

}  // namespace weft::store
