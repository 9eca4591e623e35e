// SPDX-License-Identifier: Apache-2.0
// The exception hierarchy every internal layer throws; the C API maps it to weftResult_t.
#pragma once

#include <stdexcept>
#include <string>

namespace weft {

// Mirrors weftResult_t in runtime/weft.h (kept in sync by a static_assert in c_api.cc).
enum class ErrorCode {
  Success = 0,
  UnhandledCudaError = 1,
  SystemError = 2,
  InternalError = 3,
  InvalidArgument = 4,
  InvalidUsage = 5,
  RemoteError = 6,
  InProgress = 7,
  Timeout = 8,
};

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& what, int about = -1)
      : std::runtime_error(what), code_(code), about_(about) {}
  ErrorCode code() const noexcept { return code_; }
  // The rank whose failure (death, silence, bad message) caused this error; -1 when none is
  // known. A failed communicator passes it on to its peers (Note [Failure notices]).
  int about() const noexcept { return about_; }

 private:
  ErrorCode code_;
  int about_;
};

// Bad input from the caller: a null buffer, an unknown datatype, a root out of range.
struct InvalidArgument : Error {
  explicit InvalidArgument(const std::string& w) : Error(ErrorCode::InvalidArgument, w) {}
};
// A correct call made at the wrong time (e.g. on a communicator that failed).
struct InvalidUsage : Error {
  explicit InvalidUsage(const std::string& w, int about = -1) : Error(ErrorCode::InvalidUsage, w, about) {}
};
// A failed system call; the message carries strerror(errno).
struct SystemError : Error {
  SystemError(const std::string& what, int err);
  explicit SystemError(const std::string& w) : Error(ErrorCode::SystemError, w) {}
};
// A peer failed or sent something we cannot accept.
struct RemoteError : Error {
  explicit RemoteError(const std::string& w, int about = -1) : Error(ErrorCode::RemoteError, w, about) {}
};
// A deadline passed; the message names what was awaited and from whom.
struct Timeout : Error {
  explicit Timeout(const std::string& w, int about = -1) : Error(ErrorCode::Timeout, w, about) {}
};
// A CUDA runtime call or kernel launch failed; the message has CUDA's text.
struct CudaError : Error {
  explicit CudaError(const std::string& w) : Error(ErrorCode::UnhandledCudaError, w) {}
};
// A broken invariant inside weft.
struct InternalError : Error {
  explicit InternalError(const std::string& w) : Error(ErrorCode::InternalError, w) {}
};

namespace detail {
[[noreturn]] void checkFailed(const char* file, int line, const char* expr, const std::string& msg);
}  // namespace detail

}  // namespace weft

// Invariants only (never user input): throws InternalError naming the expression and place.
#define WEFT_CHECK(cond, msg)                                            \
  do {                                                                   \
    if (!(cond)) ::weft::detail::checkFailed(__FILE__, __LINE__, #cond, (msg)); \
  } while (0)
