// SPDX-License-Identifier: Apache-2.0
// The extern "C" surface of weft.h: argument checks, and exceptions turned into weftResult_t.
#include <cstdint>
#include <cstring>
#include <mutex>
#include <new>
#include <string>
#include <unordered_set>

#include "common/error.h"
#include "common/log.h"
#include "runtime/init.h"
#include "runtime/launch_env.h"
#include "runtime/weft.h"
#include "weft_config.h"

static_assert(int(weft::ErrorCode::Timeout) == weftTimeout, "ErrorCode mirrors weftResult_t");
static_assert(int(weft::ErrorCode::RemoteError) == weftRemoteError, "ErrorCode mirrors weftResult_t");
static_assert(WEFT_VERSION_MAJOR == WEFT_MAJOR && WEFT_VERSION_MINOR == WEFT_MINOR &&
              WEFT_VERSION_PATCH == WEFT_PATCH, "weft.h and meson.build disagree on the version");

struct weftComm {
  std::unique_ptr<weft::runtime::Communicator> impl;
};

namespace {

using weft::InvalidArgument;
using weft::coll::DataType;
using weft::coll::ReduceOp;

thread_local std::string tLastError;

// Live handles: a destroyed (or never created) handle is refused instead of dereferenced.
std::mutex gLiveMu;
std::unordered_set<const weftComm*>& live() {
  static std::unordered_set<const weftComm*> s;
  return s;
}

weftResult_t fail(const char* func, weftResult_t code, const std::string& msg) {
  tLastError = std::string(func) + ": " + msg;
  WEFT_LOG(Warn, "%s", tLastError.c_str());
  return code;
}

// Every entry point runs its body through here (STYLE.md, error handling).
template <class Fn>
weftResult_t guarded(const char* func, Fn&& body) noexcept {
  try {
    body();
    return weftSuccess;
  } catch (const weft::Error& e) {
    return fail(func, static_cast<weftResult_t>(e.code()), e.what());
  } catch (const std::bad_alloc&) {
    return fail(func, weftSystemError, "out of memory");
  } catch (const std::exception& e) {
    return fail(func, weftInternalError, e.what());
  } catch (...) {
    return fail(func, weftInternalError, "unknown exception");
  }
}

weft::runtime::Config loadedConfig() {
  auto c = weft::runtime::loadConfig();
  weft::runtime::applyLogging(c);
  return c;
}

weft::runtime::Communicator& lookup(const weftComm* comm) {
  std::lock_guard<std::mutex> lock(gLiveMu);
  if (comm == nullptr || live().count(comm) == 0) {
    throw InvalidArgument("the communicator is NULL or was destroyed");
  }
  return *comm->impl;
}

weftComm* publish(std::unique_ptr<weft::runtime::Communicator> impl) {
  auto* c = new weftComm{std::move(impl)};
  std::lock_guard<std::mutex> lock(gLiveMu);
  live().insert(c);
  return c;
}

DataType checkedType(weftDataType_t t) {
  auto d = weft::coll::toDataType(int(t));
  if (!d) throw InvalidArgument("unknown datatype " + std::to_string(int(t)));
  return *d;
}

// Byte size of `count` elements, refusing overflow.
size_t checkedBytes(size_t count, DataType t) {
  const size_t elem = weft::coll::dtypeSize(t);
  if (count > SIZE_MAX / elem) throw InvalidArgument("count " + std::to_string(count) + " overflows the byte size");
  return count * elem;
}

void checkBuffers(const void* send, bool needSend, void* recv, size_t bytes, weftStream_t stream) {
  if (stream != nullptr) {
    throw InvalidArgument("a stream was given, but this build runs collectives on host buffers only "
                          "(pass NULL as the stream)");
  }
  if (bytes == 0) return;
  if (needSend && send == nullptr) throw InvalidArgument("sendbuff is NULL");
  if (recv == nullptr) throw InvalidArgument("recvbuff is NULL");
  if (needSend && send != recv) {
    const auto s = reinterpret_cast<uintptr_t>(send), r = reinterpret_cast<uintptr_t>(recv);
    if (s < r + bytes && r < s + bytes) {
      throw InvalidArgument("sendbuff and recvbuff overlap without being equal (in place means equal pointers)");
    }
  }
}

}  // namespace

extern "C" {

weftResult_t weftGetVersion(int* version) {
  return guarded(__func__, [&] {
    if (!version) throw InvalidArgument("version is NULL");
    *version = WEFT_VERSION_CODE;
  });
}

weftResult_t weftGetUniqueId(weftUniqueId* id) {
  return guarded(__func__, [&] {
    if (!id) throw InvalidArgument("uniqueId is NULL");
    weft::runtime::makeUniqueId(id->internal, loadedConfig());
  });
}

weftResult_t weftCommInitRank(weftComm_t* comm, int nranks, weftUniqueId commId, int rank) {
  return guarded(__func__, [&] {
    if (!comm) throw InvalidArgument("comm is NULL");
    *comm = nullptr;
    if (nranks < 1) throw InvalidArgument("nranks must be at least 1, got " + std::to_string(nranks));
    if (rank < 0 || rank >= nranks) {
      throw InvalidArgument("rank " + std::to_string(rank) + " is outside [0, " + std::to_string(nranks) + ")");
    }
    *comm = publish(weft::runtime::initRank(commId.internal, nranks, rank, loadedConfig()));
  });
}

weftResult_t weftCommInitAll(weftComm_t* comms, int ndev, const int* devlist) {
  return guarded(__func__, [&] {
    if (!comms) throw InvalidArgument("comms is NULL");
    if (ndev < 1) throw InvalidArgument("ndev must be at least 1, got " + std::to_string(ndev));
    if (devlist) {
      throw InvalidArgument("devlist names CUDA devices, but this build runs host ranks only (pass NULL)");
    }
    for (int i = 0; i < ndev; ++i) comms[i] = nullptr;
    auto all = weft::runtime::initAll(ndev, loadedConfig());
    for (int i = 0; i < ndev; ++i) comms[i] = publish(std::move(all[size_t(i)]));
  });
}

weftResult_t weftCommInitFromEnv(weftComm_t* comm) {
  return guarded(__func__, [&] {
    if (!comm) throw InvalidArgument("comm is NULL");
    *comm = nullptr;
    *comm = publish(weft::runtime::initFromEnv(loadedConfig()));
  });
}

weftResult_t weftGetEnvWorldSize(int* nranks) {
  return guarded(__func__, [&] {
    if (!nranks) throw InvalidArgument("nranks is NULL");
    *nranks = weft::runtime::readLaunchRanks().size;
  });
}

weftResult_t weftCommDestroy(weftComm_t comm) {
  return guarded(__func__, [&] {
    if (!comm) return;
    {
      std::lock_guard<std::mutex> lock(gLiveMu);
      if (live().erase(comm) == 0) throw InvalidArgument("the communicator was already destroyed");
    }
    delete comm;
  });
}

weftResult_t weftCommCount(const weftComm_t comm, int* count) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    if (!count) throw InvalidArgument("count is NULL");
    *count = c.size();
  });
}

weftResult_t weftCommUserRank(const weftComm_t comm, int* rank) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    if (!rank) throw InvalidArgument("rank is NULL");
    *rank = c.rank();
  });
}

weftResult_t weftAllReduce(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype,
                           weftRedOp_t op, weftComm_t comm, weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    const DataType t = checkedType(datatype);
    const auto o = weft::coll::toReduceOp(int(op));
    if (!o) throw InvalidArgument("unknown reduction op " + std::to_string(int(op)));
    checkBuffers(sendbuff, true, recvbuff, checkedBytes(count, t), stream);
    c.allReduce(sendbuff, recvbuff, count, t, *o);
  });
}

weftResult_t weftBroadcast(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype,
                           int root, weftComm_t comm, weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    const DataType t = checkedType(datatype);
    if (root < 0 || root >= c.size()) {
      throw InvalidArgument("root " + std::to_string(root) + " is outside [0, " + std::to_string(c.size()) + ")");
    }
    checkBuffers(sendbuff, c.rank() == root, recvbuff, checkedBytes(count, t), stream);
    c.broadcast(sendbuff, recvbuff, count, t, root);
  });
}

const char* weftGetErrorString(weftResult_t result) {
  switch (result) {
    case weftSuccess: return "no error";
    case weftUnhandledCudaError: return "unhandled CUDA error";
    case weftSystemError: return "system error (a system call failed)";
    case weftInternalError: return "internal error (a bug in weft)";
    case weftInvalidArgument: return "invalid argument";
    case weftInvalidUsage: return "invalid usage";
    case weftRemoteError: return "remote error (a peer failed or misbehaved)";
    case weftInProgress: return "operation in progress";
    case weftTimeout: return "timeout";
    default: return "unknown result code";
  }
}

const char* weftGetLastError(weftComm_t) { return tLastError.c_str(); }

}  // extern "C"
