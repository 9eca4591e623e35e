// SPDX-License-Identifier: Apache-2.0
// fork/exec of one rank with a parent-death signal and exec-failure reporting over a CLOEXEC pipe.
#include "tools/weftrun/spawn.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "tools/weftrun/signal_fd.h"
#include "tools/weftrun/unique_fd.h"

namespace weft::weftrun {
namespace {

enum class Step : int { Prctl = 1, Dup2 = 2, Exec = 3, Affinity = 4 };

struct ChildReport {
  Step step;
  int error;
};

const char* stepName(Step step) {
  switch (step) {
    case Step::Prctl: return "prctl";
    case Step::Dup2: return "dup2";
    case Step::Exec: return "exec";
    case Step::Affinity: return "sched_setaffinity";
  }
  return "setup";
}

// Makes `fd` the child's `target` descriptor, open across exec. dup2 onto itself would keep the
// pipe's close-on-exec flag (possible when weftrun was started with fd 1 or 2 closed).
bool redirect(int fd, int target) {
  if (fd < 0) return true;
  if (fd == target) return ::fcntl(fd, F_SETFD, 0) == 0;
  return ::dup2(fd, target) >= 0;
}

// Runs in the forked child; only async-signal-safe calls from here on (weftrun has one thread,
// but keeping to the safe set costs nothing). Never returns.
[[noreturn]] void runChild(const SpawnRequest& request, pid_t parent, int reportFd,
                           char* const* argv, char* const* envp) {
  auto fail = [reportFd](Step step) {
    const ChildReport report{step, errno};
    ssize_t ignored = ::write(reportFd, &report, sizeof report);
    (void)ignored;
    ::_exit(127);
  };
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail(Step::Prctl);
  // If weftrun died between fork() and prctl(), the death signal was never armed: we have
  // already been re-parented, so leave now instead of running unsupervised.
  if (::getppid() != parent) ::_exit(1);
  if (!redirect(request.stdoutFd, STDOUT_FILENO) || !redirect(request.stderrFd, STDERR_FILENO)) {
    fail(Step::Dup2);
  }
  request.signals.restoreInChild();
  if (request.cpus != nullptr && ::sched_setaffinity(0, sizeof(cpu_set_t), request.cpus) != 0) fail(Step::Affinity);
  ::execvpe(argv[0], argv, envp);
  fail(Step::Exec);
  ::_exit(127);  // not reached
}

std::vector<char*> pointerArray(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (const auto& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

}  // namespace

SpawnResult spawnRank(const SpawnRequest& request) {
  // Build every array before fork so the child allocates nothing.
  std::vector<char*> argv = pointerArray(request.command);
  std::vector<char*> envp = pointerArray(request.env);

  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    throw std::system_error(errno, std::generic_category(), "pipe2");
  }
  UniqueFd reportRead(fds[0]);
  UniqueFd reportWrite(fds[1]);

  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::generic_category(), "fork");
  if (pid == 0) runChild(request, parent, reportWrite.get(), argv.data(), envp.data());

  // Parent: the pipe reaches EOF when exec closes the child's copy (success) or it exits.
  reportWrite.reset();
  SpawnResult result;
  result.pid = pid;
  ChildReport report{};
  ssize_t n;
  do {
    n = ::read(reportRead.get(), &report, sizeof report);
  } while (n < 0 && errno == EINTR);
  if (n == static_cast<ssize_t>(sizeof report)) {
    result.error = report.error;
    result.step = stepName(report.step);
  }
  return result;
}

}  // namespace weft::weftrun
