// SPDX-License-Identifier: Apache-2.0
// Turns a failed weft call into an exception that carries weftGetErrorString and weftGetLastError.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

#include "runtime/weft.h"

namespace weft::bench {

class WeftFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws WeftFailure("<what> failed: <code string> (<code>): <last error>") unless result is
// weftSuccess. Call it on the thread that made the call: the last error is per thread.
inline void checkWeft(weftResult_t result, weftComm_t comm, std::string_view what) {
  if (result == weftSuccess) return;
  std::string message = std::string(what) + " failed: " + weftGetErrorString(result) + " (" +
                        std::to_string(static_cast<int>(result)) + ")";
  const char* last = weftGetLastError(comm);
  if (last != nullptr && last[0] != '\0') message += ": " + std::string(last);
  throw WeftFailure(message);
}

}  // namespace weft::bench
