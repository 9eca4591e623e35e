// SPDX-License-Identifier: Apache-2.0
// The communicator's staging buffer.
#include "collectives/staging.h"

#include <cstring>

#include "common/error.h"
#include "common/log.h"

namespace weft::coll {

Staging::~Staging() {
  try {
    transport::freeShared(data_);
  } catch (...) {  // cannot happen: data_ came from allocateShared
  }
}

std::byte* Staging::get(size_t bytes) {
  if (bytes <= bytes_) return data_;
  if (refused_) return nullptr;
  try {
    void* p = transport::allocateShared(bytes);
    std::memset(p, 0, bytes);  // touched now, not at a call's first chunks
    transport::freeShared(data_);
    data_ = static_cast<std::byte*>(p);
    bytes_ = bytes;
    ref_ = transport::findShared(data_, bytes_);
  } catch (const Error& e) {
    refused_ = true;
    WEFT_LOG(Warn, "no shared staging buffer (%s): broadcasts lend the root's buffer instead", e.what());
    return nullptr;
  }
  return data_;
}

}  // namespace weft::coll
