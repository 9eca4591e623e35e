// SPDX-License-Identifier: Apache-2.0
// Helpers every store shares: key limits, counter encoding and the wording of timeout messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.h"
#include "common/error.h"

namespace weft::store::detail {

// Limits shared by all stores so that a key accepted by one is accepted by all (and by the
// TCP server, which must bound what a client can make it allocate).
inline constexpr size_t kMaxKeyBytes = 4096;
inline constexpr size_t kMaxValueBytes = size_t{64} << 20;
inline constexpr size_t kMaxWaitKeys = 1024;

// Throws InvalidArgument for an empty or over-long key.
void checkKey(const std::string& key);
// Throws InvalidArgument for a value over kMaxValueBytes.
void checkValueSize(const std::string& key, size_t bytes);

// Counters are stored as decimal text, so get() of a counter returns e.g. "42".
// parseCounter throws InvalidArgument naming the key when the text is not an int64.
int64_t parseCounter(const std::string& key, std::string_view text);
std::string formatCounter(int64_t value);
// The counter after adding delta to `current` (nullptr: absent, counts as 0); InvalidArgument on
// a non-counter value or on overflow.
int64_t addToCounter(const std::string& key, const std::string* current, int64_t delta);

// "'a'" or "'a', 'b'".
std::string quoteKeys(const std::vector<std::string>& keys);

// "timed out after 30 s waiting for key 'addr/3' in the store at tcp://127.0.0.1:29500".
Timeout keyTimeout(const Deadline& deadline, const std::vector<std::string>& missing,
                   const std::string& storeDescription);

}  // namespace weft::store::detail
