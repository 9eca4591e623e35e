// SPDX-License-Identifier: Apache-2.0
// Forks and execs one rank, and reports back whether the exec itself succeeded.
#pragma once

#include <sched.h>
#include <sys/types.h>

#include <string>
#include <vector>

namespace weft::weftrun {

class SignalFd;

struct SpawnRequest {
  const std::vector<std::string>& command;  // PROGRAM ARGS..., PROGRAM looked up on PATH
  const std::vector<std::string>& env;      // complete KEY=VALUE environment of the rank
  int stdoutFd = -1;                        // becomes the rank's fd 1; -1 keeps weftrun's
  int stderrFd = -1;                        // becomes the rank's fd 2; -1 keeps weftrun's
  const SignalFd& signals;                  // its blocked mask is undone in the child
  const cpu_set_t* cpus = nullptr;          // the rank's CPUs (--bind-to); null keeps weftrun's
};

struct SpawnResult {
  pid_t pid = -1;       // the forked child; set even when exec failed (it must still be reaped)
  int error = 0;        // 0 when PROGRAM is running, else the errno of the failed step
  std::string step;     // what failed: "exec", "dup2", "prctl", "sched_setaffinity"
};

// Forks a child that (1) asks for SIGKILL when weftrun dies (PR_SET_PDEATHSIG) and exits at once
// if weftrun is already gone, (2) wires stdout/stderr, (3) restores weftrun's original signal
// mask, (4) takes its CPUs, and (5) execs PROGRAM. The child reports a failed step through a close-on-exec pipe and
// exits 127; this call blocks until the child has exec'd or failed, which takes microseconds.
// The child stays in weftrun's process group. Throws std::system_error if fork itself fails.
SpawnResult spawnRank(const SpawnRequest& request);

}  // namespace weft::weftrun
