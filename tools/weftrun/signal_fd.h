// SPDX-License-Identifier: Apache-2.0
// Turns SIGINT, SIGTERM and SIGCHLD into readable events on a signalfd for weftrun's poll loop.
#pragma once

#include <signal.h>
#include <sys/signalfd.h>

#include <vector>

#include "tools/weftrun/unique_fd.h"

namespace weft::weftrun {

// Construct it before forking any rank, so that no SIGCHLD is lost. While it lives, SIGINT,
// SIGTERM and SIGCHLD are blocked and delivered through fd(), and SIGPIPE is ignored (a closed
// stdout must not kill weftrun while ranks still run). Loop-bound: one thread uses it.
class SignalFd {
 public:
  SignalFd();  // throws std::system_error
  ~SignalFd();
  SignalFd(const SignalFd&) = delete;
  SignalFd& operator=(const SignalFd&) = delete;

  int fd() const { return fd_.get(); }

  // Reads every pending signal without blocking; empty when none is pending.
  std::vector<signalfd_siginfo> drain();

  // Called in a forked child before exec: puts back the signal mask and the SIGPIPE disposition
  // weftrun was started with. Async-signal-safe.
  void restoreInChild() const;

 private:
  sigset_t originalMask_{};
  struct sigaction originalPipe_{};
  UniqueFd fd_;
};

}  // namespace weft::weftrun
