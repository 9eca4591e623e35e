// SPDX-License-Identifier: Apache-2.0
// What every extern "C" entry point shares: exception-to-code translation, handle lookup and
// argument checks (STYLE.md, error handling).
#pragma once

#include <cstddef>
#include <memory>
#include <new>
#include <string>

#include "collectives/kernels/dtype.h"
#include "common/error.h"
#include "runtime/communicator.h"
#include "runtime/work.h"
#include "runtime/weft.h"

struct weftComm {
  std::unique_ptr<weft::runtime::Communicator> impl;
};

struct weftRequest {
  std::shared_ptr<weft::runtime::Work> work;
};

namespace weft::capi {

// Records the message for weftGetLastError, logs it at WARN, returns the code.
weftResult_t fail(const char* func, weftResult_t code, const std::string& msg);

template <class Fn>
weftResult_t guarded(const char* func, Fn&& body) noexcept {
  try {
    body();
    return weftSuccess;
  } catch (const Error& e) {
    return fail(func, static_cast<weftResult_t>(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(func, weftSystemError, "out of memory");
  } catch (const std::exception& e) {
    return fail(func, weftInternalError, e.what());
  } catch (...) {
    return fail(func, weftInternalError, "unknown exception");
  }
}

const std::string& lastError();

// The configuration from the environment, with logging applied.
runtime::Config loadedConfig();

// Live handles: a destroyed (or never created) handle is refused instead of dereferenced.
runtime::Communicator& lookup(const weftComm* comm);
weftComm* publish(std::unique_ptr<runtime::Communicator> impl);
void destroy(weftComm* comm);

coll::DataType checkedType(weftDataType_t t);
coll::ReduceOp checkedOp(weftRedOp_t op);
// count * blocks elements of `t` in bytes, refusing overflow.
size_t checkedBytes(size_t count, coll::DataType t, size_t blocks = 1);
void checkRoot(int root, const runtime::Communicator& c, const char* what = "root");
void checkNotNull(const void* p, size_t bytes, const char* name);
// Runs a validated call: recorded when the thread is inside a group, queued for the progress
// thread when `request` is given (*request receives the handle), run to completion otherwise.
// With a stream (device buffers), enqueued on it and run by the progress thread or the group.
void dispatch(runtime::Communicator& c, const coll::CollArgs& args, weftRequest_t* request, weftStream_t stream);
// Checks a nonblocking call's out-parameter and clears it.
weftRequest_t* checkedRequest(weftRequest_t* request);

// Two buffers may overlap only in the layout the collective calls in place.
void checkOverlap(const void* send, size_t sendBytes, const void* recv, size_t recvBytes, bool inPlace,
                  const char* inPlaceMeans);

}  // namespace weft::capi
