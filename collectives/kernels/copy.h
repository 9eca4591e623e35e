// SPDX-License-Identifier: Apache-2.0
// Copies into the user's output buffer, optionally with streaming (non-temporal) stores.
#pragma once

#include <cstddef>

namespace weft::coll {

// memcpy, or with stores that bypass the cache when `streaming`: for outputs much larger than
// the caches, which the collective will not read again. A cached store into a line that is not
// in the cache first reads the line from memory; a streaming store does not, which saves a third
// of the memory traffic of a copy. Call streamingFence() before the output is handed back.
void copyOut(void* dst, const void* src, size_t bytes, bool streaming);
void streamingFence();

}  // namespace weft::coll
