// SPDX-License-Identifier: Apache-2.0
// Note [Peer liveness]: pidfd_open and poll, with kill(pid, 0) as the fallback.
#include "transport/process_watch.h"

#include <poll.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

namespace weft::transport {

ProcessWatch::ProcessWatch(pid_t pid) : pid_(pid) {
#ifdef SYS_pidfd_open
  if (pid <= 0) return;
  const long fd = ::syscall(SYS_pidfd_open, pid, 0);  // close-on-exec
  if (fd >= 0) fd_ = int(fd);  // ENOSYS (an older kernel) or EPERM (seccomp): kill(pid, 0) then
#endif
}

ProcessWatch::~ProcessWatch() {
  if (fd_ >= 0) ::close(fd_);
}

ProcessWatch& ProcessWatch::operator=(ProcessWatch&& o) noexcept {
  if (this != &o) {
    if (fd_ >= 0) ::close(fd_);
    pid_ = o.pid_;
    fd_ = o.fd_;
    o.fd_ = -1;
  }
  return *this;
}

bool ProcessWatch::alive() const {
  if (pid_ <= 0) return true;
  if (fd_ >= 0) {
    pollfd p{fd_, POLLIN, 0};
    const int n = ::poll(&p, 1, 0);
    return !(n == 1 && (p.revents & (POLLIN | POLLHUP)) != 0);
  }
  return !(::kill(pid_, 0) != 0 && errno == ESRCH);
}

}  // namespace weft::transport
