// SPDX-License-Identifier: Apache-2.0
// PrefixStore: key rewriting around an inner store.
#include "runtime/store/prefix_store.h"

#include "common/error.h"
#include "runtime/store/key_util.h"

namespace weft::store {

PrefixStore::PrefixStore(std::string prefix, std::shared_ptr<Store> inner)
    : prefix_(std::move(prefix)), inner_(std::move(inner)) {
  if (prefix_.empty()) throw InvalidArgument("PrefixStore needs a non-empty prefix");
  if (!inner_) throw InvalidArgument("PrefixStore needs an inner store");
}

std::string PrefixStore::full(const std::string& key) const {
  detail::checkKey(key);
  return prefix_ + "/" + key;
}

std::string PrefixStore::unprefix(const std::string& message) const {
  // Every store quotes keys as 'key', so "'prefix/" only occurs at the start of a quoted key.
  const std::string needle = "'" + prefix_ + "/";
  std::string out;
  size_t pos = 0;
  for (size_t hit; (hit = message.find(needle, pos)) != std::string::npos; pos = hit + needle.size()) {
    out.append(message, pos, hit - pos);
    out += "'";
  }
  out.append(message, pos, std::string::npos);
  return out;
}

template <class Fn>
auto PrefixStore::unprefixErrors(Fn&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Timeout& e) {
    throw Timeout(unprefix(e.what()));
  } catch (const RemoteError& e) {
    throw RemoteError(unprefix(e.what()));
  } catch (const InvalidArgument& e) {
    throw InvalidArgument(unprefix(e.what()));
  } catch (const SystemError& e) {
    throw SystemError(unprefix(e.what()));
  }
}

void PrefixStore::set(const std::string& key, const Bytes& value) {
  unprefixErrors([&] { inner_->set(full(key), value); });
}

Bytes PrefixStore::get(const std::string& key, Deadline deadline) {
  return unprefixErrors([&] { return inner_->get(full(key), deadline); });
}

int64_t PrefixStore::add(const std::string& key, int64_t delta) {
  return unprefixErrors([&] { return inner_->add(full(key), delta); });
}

void PrefixStore::wait(const std::vector<std::string>& keys, Deadline deadline) {
  std::vector<std::string> full;
  full.reserve(keys.size());
  for (const auto& k : keys) full.push_back(this->full(k));
  unprefixErrors([&] { inner_->wait(full, deadline); });
}

std::string PrefixStore::describe() const { return inner_->describe() + " (prefix '" + prefix_ + "')"; }

}  // namespace weft::store
