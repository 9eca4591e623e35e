// SPDX-License-Identifier: Apache-2.0
// Out-of-line pieces of the error hierarchy.
#include "common/error.h"

#include <cstring>

namespace weft {

SystemError::SystemError(const std::string& what, int err)
    : Error(ErrorCode::SystemError, what + ": " + std::strerror(err)) {}

namespace detail {
void checkFailed(const char* file, int line, const char* expr, const std::string& msg) {
  throw InternalError(std::string("internal check failed at ") + file + ":" + std::to_string(line) +
                      ": " + expr + (msg.empty() ? "" : " (" + msg + ")"));
}
}  // namespace detail

}  // namespace weft
