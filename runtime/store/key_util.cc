// SPDX-License-Identifier: Apache-2.0
// Key limits, counter encoding and timeout messages shared by the stores.
#include "runtime/store/key_util.h"

#include <charconv>

namespace weft::store::detail {

void checkKey(const std::string& key) {
  if (key.empty()) throw InvalidArgument("store keys must not be empty");
  if (key.size() > kMaxKeyBytes) {
    throw InvalidArgument("store key of " + std::to_string(key.size()) + " bytes is longer than the limit of " +
                          std::to_string(kMaxKeyBytes) + " bytes");
  }
}

void checkValueSize(const std::string& key, size_t bytes) {
  if (bytes > kMaxValueBytes) {
    throw InvalidArgument("value of " + std::to_string(bytes) + " bytes for store key '" + key +
                          "' is larger than the limit of " + std::to_string(kMaxValueBytes) + " bytes");
  }
}

int64_t parseCounter(const std::string& key, std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    throw InvalidArgument("store key '" + key + "' holds a value that is not a decimal 64-bit counter");
  }
  return value;
}

std::string formatCounter(int64_t value) { return std::to_string(value); }

int64_t addToCounter(const std::string& key, const std::string* current, int64_t delta) {
  int64_t base = current ? parseCounter(key, *current) : 0;
  int64_t sum = 0;
  if (__builtin_add_overflow(base, delta, &sum)) {
    throw InvalidArgument("adding " + std::to_string(delta) + " to store counter '" + key + "' overflows");
  }
  return sum;
}

std::string quoteKeys(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) {
    if (!out.empty()) out += ", ";
    out += "'" + k + "'";
  }
  return out;
}

Timeout keyTimeout(const Deadline& deadline, const std::vector<std::string>& missing,
                   const std::string& storeDescription) {
  return Timeout("timed out " + deadline.describe() + " waiting for " + (missing.size() == 1 ? "key " : "keys ") +
                 quoteKeys(missing) + " in the store at " + storeDescription);
}

}  // namespace weft::store::detail
