// SPDX-License-Identifier: Apache-2.0
// The key-value store the bootstrap rendezvous goes through (c10d Store, Gloo rendezvous Store).
// Implementations are thread-safe: several threads (ranks of one process) may share one store.
// Keys are 1 to 4096 bytes and values at most 64 MiB in every store (InvalidArgument otherwise).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/deadline.h"

namespace weft::store {

using Bytes = std::vector<uint8_t>;

class Store {
 public:
  virtual ~Store() = default;

  // Sets key to value (overwrites). Blocks only for the round trip to a remote store.
  virtual void set(const std::string& key, const Bytes& value) = 0;

  // Waits until key exists, then returns its value. Throws weft::Timeout naming the key when the
  // deadline passes first.
  virtual Bytes get(const std::string& key, Deadline deadline) = 0;

  // Atomically adds delta to the 64-bit counter at key (absent counts as 0) and returns the result.
  // Every store keeps counters as decimal text, so get() of a counter returns e.g. "42";
  // InvalidArgument when the key holds anything else or the sum overflows.
  virtual int64_t add(const std::string& key, int64_t delta) = 0;

  // Waits until every key exists; Timeout names the keys still missing.
  virtual void wait(const std::vector<std::string>& keys, Deadline deadline) = 0;

  // A human-readable description for error messages ("tcp://10.0.0.1:29500", "memory", ...).
  virtual std::string describe() const = 0;
};

}  // namespace weft::store
