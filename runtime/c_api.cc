// SPDX-License-Identifier: Apache-2.0
// The extern "C" surface of weft.h for communicators: creation, queries, errors.
#include <string>

#include "runtime/c_api_support.h"
#include "runtime/init.h"
#include "runtime/launch_env.h"
#include "runtime/weft.h"
#include "transport/shared_memory.h"
#include "weft_config.h"

static_assert(int(weft::ErrorCode::Timeout) == weftTimeout, "ErrorCode mirrors weftResult_t");
static_assert(int(weft::ErrorCode::RemoteError) == weftRemoteError, "ErrorCode mirrors weftResult_t");
static_assert(WEFT_VERSION_MAJOR == WEFT_MAJOR && WEFT_VERSION_MINOR == WEFT_MINOR &&
              WEFT_VERSION_PATCH == WEFT_PATCH, "weft.h and meson.build disagree on the version");

using weft::InvalidArgument;
using namespace weft::capi;

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

weftResult_t weftCommSplit(weftComm_t comm, int color, int key, weftComm_t* newcomm) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    if (!newcomm) throw InvalidArgument("newcomm is NULL");
    *newcomm = nullptr;
    auto child = c.split(color, key);
    if (child) *newcomm = publish(std::move(child));
  });
}

weftResult_t weftCommShrink(weftComm_t comm, const int* excludeRanks, int excludeCount, weftComm_t* newcomm,
                            int flags) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    if (!newcomm) throw InvalidArgument("newcomm is NULL");
    *newcomm = nullptr;
    if (excludeCount < 0) throw InvalidArgument("excludeCount is negative");
    if (excludeCount > 0 && !excludeRanks) throw InvalidArgument("excludeRanks is NULL with excludeCount > 0");
    if (flags != WEFT_SHRINK_DEFAULT && flags != WEFT_SHRINK_ABORT) {
      throw InvalidArgument("flags must be WEFT_SHRINK_DEFAULT or WEFT_SHRINK_ABORT, got " + std::to_string(flags));
    }
    *newcomm = publish(c.shrink(std::span(excludeRanks, size_t(excludeCount)), flags == WEFT_SHRINK_ABORT));
  });
}

weftResult_t weftCommGetFailedRanks(weftComm_t comm, int* ranks, int capacity, int* count) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    if (!count) throw InvalidArgument("count is NULL");
    if (capacity < 0) throw InvalidArgument("capacity is negative");
    if (capacity > 0 && !ranks) throw InvalidArgument("ranks is NULL with capacity > 0");
    const std::vector<int> failed = c.failedRanks();
    *count = int(failed.size());
    for (size_t i = 0; i < failed.size() && i < size_t(capacity); ++i) ranks[i] = failed[i];
  });
}

weftResult_t weftGetEnvWorldSize(int* nranks) {
  return guarded(__func__, [&] {
    if (!nranks) throw InvalidArgument("nranks is NULL");
    *nranks = weft::runtime::readLaunchRanks().size;
  });
}

weftResult_t weftGetEnvLocalRank(int* localRank) {
  return guarded(__func__, [&] {
    if (!localRank) throw InvalidArgument("localRank is NULL");
    *localRank = weft::runtime::readLaunchRanks().localRank;
  });
}

weftResult_t weftCommDestroy(weftComm_t comm) {
  return guarded(__func__, [&] {
    if (!comm) return;
    destroy(comm);
  });
}

weftResult_t weftCommAbort(weftComm_t comm) {
  return guarded(__func__, [&] {
    if (!comm) return;
    lookup(comm).abort();  // returns once no thread is inside a call on it
    destroy(comm);
  });
}

weftResult_t weftCommGetAsyncError(weftComm_t comm, weftResult_t* asyncError) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    if (!asyncError) throw InvalidArgument("asyncError is NULL");
    *asyncError = static_cast<weftResult_t>(c.asyncError());
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

weftResult_t weftMemAlloc(void** ptr, size_t size) {
  return guarded(__func__, [&] {
    if (!ptr) throw InvalidArgument("ptr is NULL");
    *ptr = size == 0 ? nullptr : weft::transport::allocateShared(size);
  });
}

weftResult_t weftMemFree(void* ptr) {
  return guarded(__func__, [&] { weft::transport::freeShared(ptr); });
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

const char* weftGetLastError(weftComm_t) { return lastError().c_str(); }

}  // extern "C"
