// SPDX-License-Identifier: Apache-2.0
// An in-memory store for ranks that are threads of one process (Gloo HashStore, c10d HashStore).
#pragma once

#include <condition_variable>
#include <map>
#include <mutex>

#include "runtime/store/store.h"

namespace weft::store {

// Thread-safe. Waiters sleep on one condition variable that every set() or add() wakes.
class HashStore : public Store {
 public:
  HashStore() = default;

  void set(const std::string& key, const Bytes& value) override;
  Bytes get(const std::string& key, Deadline deadline) override;
  int64_t add(const std::string& key, int64_t delta) override;
  void wait(const std::vector<std::string>& keys, Deadline deadline) override;
  std::string describe() const override { return "memory"; }

 private:
  // Blocks until every key exists or the deadline passes; returns the keys still missing.
  std::vector<std::string> waitLocked(std::unique_lock<std::mutex>& lock, const std::vector<std::string>& keys,
                                      const Deadline& deadline);

  std::mutex mu_;  // leaf lock
  std::condition_variable changed_;
  std::map<std::string, std::string> data_;  // guarded by mu_; values as bytes in a string
};

}  // namespace weft::store
