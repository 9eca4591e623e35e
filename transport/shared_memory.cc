// SPDX-License-Identifier: Apache-2.0
// The process's shared buffers (Note [Shared buffers]).
#include "transport/shared_memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>
#include <map>
#include <mutex>

#include "common/error.h"

namespace weft::transport {
namespace {

struct Region {
  size_t bytes;     // the caller's
  size_t mapped;    // header page + bytes, rounded to pages
  int fd;
  uint32_t serial;
};

struct Registry {
  std::mutex mu;
  std::map<uintptr_t, Region> byBase;  // keyed by the caller's address
  uint32_t lastSerial = 0;
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: buffers may be freed from static destructors
  return *r;
}

size_t pageRound(size_t n) {
  const size_t page = size_t(::sysconf(_SC_PAGESIZE));
  return (n + page - 1) / page * page;
}

}  // namespace

void* allocateShared(size_t bytes) {
  if (bytes == 0) throw InvalidArgument("a shared buffer of 0 bytes");
  if (bytes > (size_t(1) << 46)) throw InvalidArgument("a shared buffer of " + std::to_string(bytes) + " bytes");
  const size_t mapped = pageRound(kSharedHeaderBytes + bytes);
  const int fd = ::memfd_create("weft-shared-buffer", MFD_CLOEXEC);
  if (fd < 0) throw SystemError("memfd_create for a shared buffer", errno);
  if (::ftruncate(fd, off_t(mapped)) != 0) {
    const int err = errno;
    ::close(fd);
    throw SystemError("sizing a shared buffer of " + std::to_string(bytes) + " bytes", err);
  }
  void* map = ::mmap(nullptr, mapped, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (map == MAP_FAILED) {
    const int err = errno;
    ::close(fd);
    throw SystemError("mapping a shared buffer of " + std::to_string(bytes) + " bytes", err);
  }
  auto* user = static_cast<std::byte*>(map) + kSharedHeaderBytes;
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  if (++r.lastSerial == 0) r.lastSerial = 1;
  const uint32_t serial = r.lastSerial;
  auto* h = static_cast<SharedHeader*>(map);
  *h = {SharedHeader::kMagic, serial, reinterpret_cast<uint64_t>(user), bytes};
  try {
    r.byBase[reinterpret_cast<uintptr_t>(user)] = {bytes, mapped, fd, serial};
  } catch (...) {
    ::munmap(map, mapped);
    ::close(fd);
    throw;
  }
  return user;
}

void freeShared(void* p) {
  if (!p) return;
  Registry& r = registry();
  Region region;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    auto it = r.byBase.find(reinterpret_cast<uintptr_t>(p));
    if (it == r.byBase.end()) throw InvalidArgument("weftMemFree: the pointer did not come from weftMemAlloc (or was freed)");
    region = it->second;
    r.byBase.erase(it);
  }
  ::munmap(static_cast<std::byte*>(p) - kSharedHeaderBytes, region.mapped);
  ::close(region.fd);
}

SharedRef findShared(const void* p, size_t bytes) {
  const auto at = reinterpret_cast<uintptr_t>(p);
  Registry& r = registry();
  std::lock_guard<std::mutex> lock(r.mu);
  auto it = r.byBase.upper_bound(at);
  if (it == r.byBase.begin()) return {};
  --it;
  const Region& region = it->second;
  if (at - it->first > region.bytes || bytes > region.bytes - (at - it->first)) return {};
  return {region.fd, region.serial};
}

}  // namespace weft::transport
