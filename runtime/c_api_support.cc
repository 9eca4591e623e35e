// SPDX-License-Identifier: Apache-2.0
// Shared pieces of the C API: last error, handle registry, argument checks.
#include "runtime/c_api_support.h"

#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_set>

#include "common/log.h"
#include "common/tls.h"

namespace weft::capi {
namespace {

thread_local std::string tLastError;

std::mutex gLiveMu;
std::unordered_set<const weftComm*>& live() {
  static std::unordered_set<const weftComm*> s;
  return s;
}
// Bumped (under gLiveMu) whenever a handle is published or destroyed. A thread remembers the last
// handle it found live and the generation it saw, and trusts it without the lock while nothing
// changed: a collective's lookup takes no lock. (A handle destroyed while another thread calls
// with it is a use-after-free either way; the registry refuses handles destroyed before a call.)
std::atomic<uint64_t> gLiveGeneration{0};
struct LastLookup {
  const weftComm* comm = nullptr;
  uint64_t generation = 0;
};
WEFT_HOT_TLS thread_local LastLookup tLastLookup;  // Note [Thread-locals on the hot path]

}  // namespace

weftResult_t fail(const char* func, weftResult_t code, const std::string& msg) {
  tLastError = std::string(func) + ": " + msg;
  WEFT_LOG(Warn, "%s", tLastError.c_str());
  return code;
}

const std::string& lastError() { return tLastError; }

runtime::Config loadedConfig() {
  auto c = runtime::loadConfig();
  runtime::applyLogging(c);
  return c;
}

runtime::Communicator& lookup(const weftComm* comm) {
  LastLookup& last = tLastLookup;
  if (comm != nullptr && comm == last.comm && last.generation == gLiveGeneration.load(std::memory_order_acquire)) {
    return *comm->impl;
  }
  std::lock_guard<std::mutex> lock(gLiveMu);
  if (comm == nullptr || live().count(comm) == 0) {
    throw InvalidArgument("the communicator is NULL or was destroyed");
  }
  last = {comm, gLiveGeneration.load(std::memory_order_relaxed)};
  return *comm->impl;
}

weftComm* publish(std::unique_ptr<runtime::Communicator> impl) {
  auto* c = new weftComm{std::move(impl)};
  std::lock_guard<std::mutex> lock(gLiveMu);
  live().insert(c);
  gLiveGeneration.fetch_add(1, std::memory_order_release);
  return c;
}

void destroy(weftComm* comm) {
  {
    std::lock_guard<std::mutex> lock(gLiveMu);
    if (live().erase(comm) == 0) throw InvalidArgument("the communicator was already destroyed");
    gLiveGeneration.fetch_add(1, std::memory_order_release);
  }
  delete comm;
}

coll::DataType checkedType(weftDataType_t t) {
  auto d = coll::toDataType(int(t));
  if (!d) throw InvalidArgument("unknown datatype " + std::to_string(int(t)));
  return *d;
}

coll::ReduceOp checkedOp(weftRedOp_t op) {
  auto o = coll::toReduceOp(int(op));
  if (!o) throw InvalidArgument("unknown reduction op " + std::to_string(int(op)));
  return *o;
}

size_t checkedBytes(size_t count, coll::DataType t, size_t blocks) {
  size_t bytes = 0;
  if (__builtin_mul_overflow(count, coll::dtypeSize(t), &bytes) || __builtin_mul_overflow(bytes, blocks, &bytes)) {
    throw InvalidArgument("count " + std::to_string(count) + " overflows the byte size");
  }
  return bytes;
}

void checkRoot(int root, const runtime::Communicator& c, const char* what) {
  if (root < 0 || root >= c.size()) {
    throw InvalidArgument(std::string(what) + " " + std::to_string(root) + " is outside [0, " +
                          std::to_string(c.size()) + ")");
  }
}

void checkNotNull(const void* p, size_t bytes, const char* name) {
  if (bytes > 0 && p == nullptr) throw InvalidArgument(std::string(name) + " is NULL");
}

void checkOverlap(const void* send, size_t sendBytes, const void* recv, size_t recvBytes, bool inPlace,
                  const char* inPlaceMeans) {
  if (inPlace || sendBytes == 0 || recvBytes == 0) return;
  const auto s = reinterpret_cast<uintptr_t>(send), r = reinterpret_cast<uintptr_t>(recv);
  if (s < r + recvBytes && r < s + sendBytes) {
    throw InvalidArgument(std::string("sendbuff and recvbuff overlap, but not in place (in place means ") +
                          inPlaceMeans + ")");
  }
}

}  // namespace weft::capi
