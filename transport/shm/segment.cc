// SPDX-License-Identifier: Apache-2.0
// shm_open/mmap/shm_unlink behind the Segment RAII wrapper.
#include "transport/shm/segment.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "common/error.h"
#include "common/log.h"

namespace weft::transport::shm {
namespace {

struct Fd {
  int fd = -1;
  ~Fd() { if (fd >= 0) ::close(fd); }
};

// Note [Populated segments]: a FIFO's data ring is walked by messages packed by size (Note [Slot
// FIFOs]), so small messages touch every page of it in turn, and each first touch, in each of the
// two processes, is a page fault: in this VM, 200 calls of 512 bytes right after 200 of 128 took
// 1.05 us each instead of 0.55. So the owner allocates its segment whole (posix_fallocate, which
// also turns a /dev/shm too small for it into an error now rather than a SIGBUS later) and every
// mapping is populated (MAP_POPULATE). The cost: nranks^2 x ((WEFT_SHM_SLOTS + 1) x
// WEFT_SHM_SLOT_BYTES + 8 KiB) of shared memory per host from the start (37 MiB for 8 ranks),
// what a job with any large message used anyway.
std::byte* mapFd(int fd, size_t bytes, const std::string& name) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (p == MAP_FAILED) throw SystemError("cannot map shared memory " + name, errno);
  return static_cast<std::byte*>(p);
}

// Note [One mapping under TSan]: thread ranks of one process map each other's segments. With a
// mapping each, a FIFO's atomics sit at two addresses, ThreadSanitizer cannot see that they order
// the ranks' loads from each other's buffers (the direct and shared algorithms), and it reports
// races that are none. In TSan builds (tools/sanitize tsan) open() shares the mapping of a segment
// that this process created, and the last Segment to go unmaps it.
#if defined(__SANITIZE_THREAD__)
#define WEFT_SHM_ONE_MAPPING 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define WEFT_SHM_ONE_MAPPING 1
#endif
#endif
#ifdef WEFT_SHM_ONE_MAPPING
constexpr bool kOneMapping = true;
#else
constexpr bool kOneMapping = false;
#endif

struct Mappings {
  std::mutex mu;
  std::map<std::string, std::byte*> created;  // by name, until the creator unlinks it
  std::map<std::byte*, int> users;            // Segments per mapping
};

// Never destroyed: Segments may outlive static destructors.
Mappings& mappings() {
  static Mappings* m = new Mappings;
  return *m;
}

}  // namespace

Segment Segment::create(const std::string& name, size_t bytes) {
  Fd f;
  f.fd = ::shm_open(name.c_str(), O_CREAT | O_EXCL | O_RDWR, 0600);
  if (f.fd < 0) throw SystemError("cannot create shared memory " + name, errno);
  Segment s;
  s.name_ = name;
  s.owner_ = true;
  s.linked_ = true;  // from here on, the destructor unlinks on error paths
  if (::ftruncate(f.fd, static_cast<off_t>(bytes)) != 0) {
    throw SystemError("cannot size shared memory " + name + " to " + std::to_string(bytes) +
                          " bytes (is /dev/shm full?)", errno);
  }
  // Note [Populated segments]. A file system without fallocate leaves the pages to first use.
  int err;
  do {
    err = ::posix_fallocate(f.fd, 0, static_cast<off_t>(bytes));
  } while (err == EINTR);
  if (err == ENOSPC || err == ENOMEM) {
    throw SystemError("not enough room in /dev/shm for the " + std::to_string(bytes >> 10) + " KiB of " + name +
                          "'s FIFOs: enlarge it (docker run --shm-size) or lower WEFT_SHM_SLOTS or WEFT_SHM_SLOT_BYTES",
                      err);
  }
  s.data_ = mapFd(f.fd, bytes, name);
  s.size_ = bytes;
  if (kOneMapping) {
    std::lock_guard<std::mutex> lock(mappings().mu);
    mappings().created[name] = s.data_;
    mappings().users[s.data_] = 1;
  }
  return s;
}

Segment Segment::open(const std::string& name, size_t bytes) {
  Fd f;
  f.fd = ::shm_open(name.c_str(), O_RDWR, 0600);
  if (f.fd < 0) throw SystemError("cannot open shared memory " + name, errno);
  struct stat st;
  if (::fstat(f.fd, &st) != 0) throw SystemError("cannot stat shared memory " + name, errno);
  if (static_cast<size_t>(st.st_size) != bytes) {
    throw InvalidArgument("shared memory " + name + " has " + std::to_string(st.st_size) +
                          " bytes, expected " + std::to_string(bytes) +
                          " (do all ranks use the same WEFT_SHM_* settings?)");
  }
  Segment s;
  s.name_ = name;
  s.size_ = bytes;
  if (kOneMapping) {
    std::lock_guard<std::mutex> lock(mappings().mu);
    if (auto it = mappings().created.find(name); it != mappings().created.end()) {
      s.data_ = it->second;
      ++mappings().users[s.data_];
      return s;
    }
  }
  s.data_ = mapFd(f.fd, bytes, name);
  return s;
}

Segment& Segment::operator=(Segment&& o) noexcept {
  if (this != &o) {
    reset();
    name_ = std::move(o.name_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    owner_ = std::exchange(o.owner_, false);
    linked_ = std::exchange(o.linked_, false);
  }
  return *this;
}

Segment::~Segment() { reset(); }

void Segment::unlink() {
  if (owner_ && linked_) {
    linked_ = false;
    if (kOneMapping) {
      std::lock_guard<std::mutex> lock(mappings().mu);
      mappings().created.erase(name_);
    }
    if (::shm_unlink(name_.c_str()) != 0 && errno != ENOENT) {
      WEFT_LOG(Warn, "shm_unlink(%s) failed: %s", name_.c_str(), std::strerror(errno));
    }
  }
}

void Segment::reset() noexcept {
  unlink();
  if (data_ && kOneMapping) {
    std::lock_guard<std::mutex> lock(mappings().mu);
    auto it = mappings().users.find(data_);
    if (it != mappings().users.end() && --it->second > 0) data_ = nullptr;  // others still use it
    else if (it != mappings().users.end()) mappings().users.erase(it);
  }
  if (data_) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
  owner_ = false;
}

}  // namespace weft::transport::shm
