// SPDX-License-Identifier: Apache-2.0
// HashStore: a map under a mutex, with a condition variable for waiters.
#include "runtime/store/hash_store.h"

#include <algorithm>
#include <chrono>

#include "runtime/store/key_util.h"

namespace weft::store {

void HashStore::set(const std::string& key, const Bytes& value) {
  detail::checkKey(key);
  detail::checkValueSize(key, value.size());
  {
    std::lock_guard<std::mutex> lock(mu_);
    data_[key].assign(value.begin(), value.end());
  }
  changed_.notify_all();
}

Bytes HashStore::get(const std::string& key, Deadline deadline) {
  detail::checkKey(key);
  std::unique_lock<std::mutex> lock(mu_);
  auto missing = waitLocked(lock, {key}, deadline);
  if (!missing.empty()) throw detail::keyTimeout(deadline, missing, describe());
  const std::string& v = data_.at(key);
  return Bytes(v.begin(), v.end());
}

int64_t HashStore::add(const std::string& key, int64_t delta) {
  detail::checkKey(key);
  int64_t result = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = data_.find(key);
    result = detail::addToCounter(key, it == data_.end() ? nullptr : &it->second, delta);
    data_[key] = detail::formatCounter(result);
  }
  changed_.notify_all();
  return result;
}

void HashStore::wait(const std::vector<std::string>& keys, Deadline deadline) {
  if (keys.size() > detail::kMaxWaitKeys) {
    throw InvalidArgument("cannot wait for more than " + std::to_string(detail::kMaxWaitKeys) + " keys at once");
  }
  for (const auto& k : keys) detail::checkKey(k);
  std::unique_lock<std::mutex> lock(mu_);
  auto missing = waitLocked(lock, keys, deadline);
  if (!missing.empty()) throw detail::keyTimeout(deadline, missing, describe());
}

std::vector<std::string> HashStore::waitLocked(std::unique_lock<std::mutex>& lock,
                                               const std::vector<std::string>& keys, const Deadline& deadline) {
  auto missingKeys = [&] {
    std::vector<std::string> missing;
    for (const auto& k : keys) {
      if (!data_.count(k)) missing.push_back(k);
    }
    return missing;
  };
  for (;;) {
    auto missing = missingKeys();
    if (missing.empty() || deadline.expired()) return missing;
    // Sleep in slices of at most a second: a "never" deadline is time_point::max(), which
    // wait_until cannot take without overflowing.
    auto slice = std::chrono::duration<double>(std::min(deadline.remaining(), 1.0));
    changed_.wait_for(lock, slice);
  }
}

}  // namespace weft::store
