// SPDX-License-Identifier: Apache-2.0
// The bytes of a weftUniqueId: where the store weftGetUniqueId started listens, and the job's
// secret (Note [Job secret] in common/auth.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/auth.h"

namespace weft::runtime {

inline constexpr size_t kUniqueIdBytes = 128;

struct UniqueId {
  std::string host;  // an address the store listens on
  uint16_t port = 0;
  auth::Secret secret{};
  // The job key the store asks its clients for, derived from the secret (which never travels).
  std::string key() const;
};

// Throws InvalidArgument when the host (63 bytes at most) does not fit.
void encodeUniqueId(const UniqueId& u, char (&id)[kUniqueIdBytes]);

// An id handed to weftCommInitRank, checked before anything in it is used: weft's magic, a
// non-empty host of printable characters terminated within its field, and a port other than 0.
// Throws InvalidArgument saying what is wrong.
UniqueId decodeUniqueId(const char (&id)[kUniqueIdBytes]);

}  // namespace weft::runtime
