// SPDX-License-Identifier: Apache-2.0
// Blocks the signals weftrun handles, routes them to a signalfd, and undoes that in children.
#include "tools/weftrun/signal_fd.h"

#include <unistd.h>

#include <cerrno>
#include <system_error>

namespace weft::weftrun {

SignalFd::SignalFd() {
  sigset_t handled;
  sigemptyset(&handled);
  sigaddset(&handled, SIGINT);
  sigaddset(&handled, SIGTERM);
  sigaddset(&handled, SIGCHLD);
  if (::sigprocmask(SIG_BLOCK, &handled, &originalMask_) != 0) {
    throw std::system_error(errno, std::generic_category(), "sigprocmask");
  }
  fd_.reset(::signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd_.valid()) {
    const int err = errno;
    ::sigprocmask(SIG_SETMASK, &originalMask_, nullptr);
    throw std::system_error(err, std::generic_category(), "signalfd");
  }
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  ::sigaction(SIGPIPE, &ignore, &originalPipe_);
}

SignalFd::~SignalFd() {
  ::sigaction(SIGPIPE, &originalPipe_, nullptr);
  fd_.reset();
  ::sigprocmask(SIG_SETMASK, &originalMask_, nullptr);
}

std::vector<signalfd_siginfo> SignalFd::drain() {
  std::vector<signalfd_siginfo> out;
  for (;;) {
    signalfd_siginfo info{};
    const ssize_t n = ::read(fd_.get(), &info, sizeof info);
    if (n == static_cast<ssize_t>(sizeof info)) {
      out.push_back(info);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    return out;  // EAGAIN: nothing more pending
  }
}

void SignalFd::restoreInChild() const {
  ::sigaction(SIGPIPE, &originalPipe_, nullptr);
  ::sigprocmask(SIG_SETMASK, &originalMask_, nullptr);
}

}  // namespace weft::weftrun
