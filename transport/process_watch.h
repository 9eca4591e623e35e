// SPDX-License-Identifier: Apache-2.0
// Whether a peer process still runs: a pidfd where the kernel has them (Linux 5.3), kill(pid, 0)
// where it does not.
#pragma once

#include <sys/types.h>

namespace weft::transport {

// Note [Peer liveness]: a pidfd becomes readable the moment its process exits, before anyone
// reaps it, and it keeps naming that process if the pid is reused. kill(pid, 0), the fallback,
// succeeds for an exited process until its parent reaps it (a zombie looks alive, so a survivor
// could only time out) and could ask about a stranger once the pid is reused.
class ProcessWatch {
 public:
  // Watches `pid`, which must be running now (a peer in the middle of connecting); 0 watches
  // nothing (a thread rank of this process, or no process of this host) and is always alive.
  explicit ProcessWatch(pid_t pid);
  ~ProcessWatch();
  ProcessWatch(ProcessWatch&& o) noexcept : pid_(o.pid_), fd_(o.fd_) { o.fd_ = -1; }
  ProcessWatch& operator=(ProcessWatch&& o) noexcept;
  ProcessWatch(const ProcessWatch&) = delete;
  ProcessWatch& operator=(const ProcessWatch&) = delete;

  // False once the process has exited (zombie or reaped). No system call blocks.
  bool alive() const;

 private:
  pid_t pid_;
  int fd_ = -1;  // the pidfd, or -1
};

}  // namespace weft::transport
