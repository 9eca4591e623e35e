// SPDX-License-Identifier: Apache-2.0
// Starts the ranks of one job and supervises them: signals, failures, grace period, cleanup.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <vector>

#include "tools/weftrun/job_env.h"
#include "tools/weftrun/options.h"
#include "tools/weftrun/output.h"
#include "tools/weftrun/signal_fd.h"

namespace weft::weftrun {

// One Launcher per job, used from main's thread only (loop-bound). The life of a job:
//   running  --(rank fails | SIGINT/SIGTERM | launch fails)-->  stopping: SIGTERM (or the
//   received signal) to every running rank, deadline = now + grace
//   stopping --(deadline passes | a second signal)-->  SIGKILL to every running rank
// With --keep-going a rank that fails is reported and counted as lost, and the others run on;
// only a signal to weftrun or a failed launch stops the job.
// run() returns once every rank is reaped. It then SIGKILLs whatever the ranks left running
// (weftrun is their subreaper, see descendants.h) and removes the shm segments of every process
// it reaped.
// See Note [weftrun exit status] in launcher.cc for the value it returns.
class Launcher {
 public:
  // `baseEnv` is the environ-style block the ranks inherit (weftrun passes its own environ).
  Launcher(Options options, const char* const* baseEnv);
  ~Launcher();  // SIGKILLs and reaps anything still running (only left after an exception)
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // Blocks until the job is over; returns weftrun's exit status. Throws std::system_error
  // only for failures of weftrun itself (poll, signalfd), after which ~Launcher cleans up.
  int run();

 private:
  struct Rank {
    int rank;
    pid_t pid;
    bool running;
    bool lost = false;  // failed while the job was not stopping (--keep-going)
  };

  void launchAll();
  void handleSignals();
  void reapChildren();
  void onRankExit(Rank& rank, int status);
  void reportLosses() const;
  void beginStop(int exitCode, int signal);
  void killRemaining();
  int pollTimeoutMs() const;
  int runningCount() const;
  void finishJob();

  Options options_;
  const char* const* baseEnv_;
  JobInfo job_;
  SignalFd signals_;
  std::optional<OutputRelay> relay_;  // engaged with --tag-output
  std::vector<Rank> ranks_;
  std::vector<pid_t> reaped_;  // every pid weftrun reaped: ranks and adopted leftovers
  bool stopping_ = false;
  bool killSent_ = false;
  bool finished_ = false;  // finishJob() ran
  std::optional<std::chrono::steady_clock::time_point> killDeadline_;
  int exitCode_ = 0;
  int cleanExits_ = 0;  // ranks that exited 0
};

}  // namespace weft::weftrun
