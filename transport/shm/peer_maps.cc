// SPDX-License-Identifier: Apache-2.0
// Opening and caching a peer's shared buffers.
#include "transport/shm/peer_maps.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/log.h"

namespace weft::transport::shm {

PeerMaps::~PeerMaps() {
  for (Map& m : maps_) close(m);
}

void PeerMaps::close(Map& m) {
  if (m.data) ::munmap(m.data - kSharedHeaderBytes, m.mapped);
  m.data = nullptr;
}

void PeerMaps::open(Map& m) const {
  const std::string path = "/proc/" + std::to_string(pid_) + "/fd/" + std::to_string(m.fd);
  auto fail = [&](const char* why) {
    WEFT_LOG(Info, "cannot map rank %d's shared buffer %u (%s): %s; reaching it with process_vm_readv/writev",
             peer_, m.serial, path.c_str(), why);
  };
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail(std::strerror(errno));
  struct stat st {};
  void* map = MAP_FAILED;
  int err = EINVAL;  // a file too small to be a shared buffer
  if (::fstat(fd, &st) != 0) {
    err = errno;
  } else if (size_t(st.st_size) > kSharedHeaderBytes) {
    map = ::mmap(nullptr, size_t(st.st_size), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (map == MAP_FAILED) err = errno;
  }
  ::close(fd);  // the mapping keeps the file
  if (map == MAP_FAILED) return fail(std::strerror(err));
  const auto* h = static_cast<const SharedHeader*>(map);
  // The descriptor may name another file than the one the peer meant: one it opened since, or not
  // a shared buffer at all. Only a header with the serial the peer sent proves it.
  if (h->magic != SharedHeader::kMagic || h->serial != m.serial ||
      h->bytes > size_t(st.st_size) - kSharedHeaderBytes) {
    ::munmap(map, size_t(st.st_size));
    return fail("not the buffer the peer named (freed since?)");
  }
  m.base = h->base;
  m.bytes = h->bytes;
  m.data = static_cast<std::byte*>(map) + kSharedHeaderBytes;
  m.mapped = size_t(st.st_size);
}

std::byte* PeerMaps::find(SharedRef ref, uint64_t remote, size_t bytes) {
  if (!ref) return nullptr;
  auto it = std::find_if(maps_.begin(), maps_.end(), [&](const Map& m) { return m.fd == ref.fd; });
  if (it != maps_.end() && it->serial != ref.serial) {
    // The peer freed that buffer (its descriptor is reused): our mapping is of no more use.
    close(*it);
    maps_.erase(it);
    it = maps_.end();
  }
  if (it == maps_.end()) {
    if (maps_.size() == kMaxMaps) {
      auto oldest = std::min_element(maps_.begin(), maps_.end(), [](const Map& a, const Map& b) { return a.used < b.used; });
      close(*oldest);
      maps_.erase(oldest);
    }
    maps_.push_back({ref.fd, ref.serial});
    it = maps_.end() - 1;
    open(*it);  // a failure is remembered (data stays null) and not retried for this buffer
  }
  it->used = ++clock_;
  if (!it->data || remote < it->base || remote - it->base > it->bytes || bytes > it->bytes - (remote - it->base)) {
    return nullptr;
  }
  return it->data + (remote - it->base);
}

}  // namespace weft::transport::shm
