// SPDX-License-Identifier: Apache-2.0
// The supervision loop: poll on the signalfd and output pipes, react to rank exits and signals.
#include "tools/weftrun/launcher.h"

#include <poll.h>
#include <signal.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <system_error>

#include "tools/weftrun/descendants.h"
#include "tools/weftrun/rank_exit.h"
#include "tools/weftrun/shm_cleanup.h"
#include "tools/weftrun/spawn.h"

namespace weft::weftrun {

// Note [weftrun exit status]
// The first cause of stopping decides the status and later events never overwrite it:
//   - all ranks exit 0                       -> 0
//   - a rank exits with status s != 0        -> s
//   - a rank is killed by signal k           -> 128 + k
//   - weftrun receives SIGINT/SIGTERM (k)    -> 128 + k
//   - PROGRAM cannot be executed             -> 127
// Ranks that die of the SIGTERM/SIGKILL we send while stopping are expected and not reported.
// With --keep-going a failed rank is lost rather than a cause of stopping: the job returns 0 when
// no cause of stopping came and some rank exited 0 (every other rank is then a lost one), else
// the status of the first lost rank (all were lost) or of the cause of stopping.

Launcher::Launcher(Options options, const char* const* baseEnv)
    : options_(std::move(options)), baseEnv_(baseEnv), job_(makeJobInfo(options_.worldSize, options_.nnodes, options_.nodeRank, options_.masterAddr,
                      options_.masterPort, std::getenv("WEFT_JOB_ID"))) {
  becomeSubreaper();
  if (options_.tagOutput) relay_.emplace();
}

Launcher::~Launcher() {
  for (auto& r : ranks_) {
    if (!r.running) continue;
    ::kill(r.pid, SIGKILL);
    while (::waitpid(r.pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    r.running = false;
    reaped_.push_back(r.pid);
  }
  finishJob();
}

int Launcher::run() {
  try {
    launchAll();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weftrun: cannot start the job: %s\n", e.what());
    beginStop(1, SIGTERM);
  }

  std::vector<pollfd> fds;
  while (runningCount() > 0) {
    fds.clear();
    fds.push_back(pollfd{signals_.fd(), POLLIN, 0});
    if (relay_) relay_->appendPollFds(fds);
    const int ready = ::poll(fds.data(), fds.size(), pollTimeoutMs());
    if (ready < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "poll");
    if (ready > 0) {
      if (fds[0].revents & POLLIN) handleSignals();
      if (relay_) relay_->service(fds);
    }
    if (killDeadline_ && !killSent_ && std::chrono::steady_clock::now() >= *killDeadline_) {
      killRemaining();
    }
  }
  finishJob();
  reportLosses();
  return !stopping_ && cleanExits_ > 0 ? 0 : exitCode_;
}

void Launcher::launchAll() {
  const std::vector<cpu_set_t> cpus = rankCpuSets(options_.bindTo, ownCpuSet(), options_.worldSize);
  for (int rank = 0; rank < options_.worldSize; ++rank) {
    const std::vector<std::string> env = rankEnvironment(baseEnv_, job_, rank);
    std::pair<UniqueFd, UniqueFd> pipes;
    if (relay_) pipes = relay_->addRank(rank);
    const SpawnResult spawned = spawnRank(SpawnRequest{.command = options_.command,
                                                       .env = env,
                                                       .stdoutFd = pipes.first.get(),
                                                       .stderrFd = pipes.second.get(),
                                                       .signals = signals_,
                                                       .cpus = cpus.empty() ? nullptr : &cpus[size_t(rank)]});
    ranks_.push_back(Rank{rank, spawned.pid, true});
    if (spawned.error != 0) {
      if (spawned.step == "exec") {
        std::fprintf(stderr, "weftrun: cannot execute '%s': %s\n", options_.command[0].c_str(),
                     std::strerror(spawned.error));
      } else {
        std::fprintf(stderr, "weftrun: rank %d: %s failed before exec: %s\n", rank,
                     spawned.step.c_str(), std::strerror(spawned.error));
      }
      beginStop(127, SIGTERM);
      return;
    }
  }
}

void Launcher::handleSignals() {
  for (const signalfd_siginfo& info : signals_.drain()) {
    const int sig = static_cast<int>(info.ssi_signo);
    if (sig == SIGCHLD) {
      reapChildren();
      continue;
    }
    if (stopping_) {
      // A second SIGINT/SIGTERM while stopping: the user does not want to wait for the grace.
      killRemaining();
      continue;
    }
    std::fprintf(stderr, "weftrun: received signal %d (%s), stopping %d rank(s)\n", sig,
                 strsignal(sig), runningCount());
    // A signal from the terminal (Ctrl-C: si_code SI_KERNEL) already reached the ranks, which
    // share our process group; forwarding it would deliver it twice.
    const bool fromTerminal = info.ssi_code == SI_KERNEL;
    beginStop(128 + sig, fromTerminal ? 0 : sig);
  }
  // A SIGCHLD may be merged with one already consumed; reaping again is cheap and never blocks.
  reapChildren();
}

void Launcher::reapChildren() {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, WNOHANG)) > 0) {
    reaped_.push_back(pid);  // a rank, or a leftover of one that we adopted
    for (auto& r : ranks_) {
      if (r.pid != pid || !r.running) continue;
      r.running = false;
      // Relay what the rank wrote before it died so its last words precede our report.
      if (relay_) relay_->drainRank(r.rank);
      onRankExit(r, status);
    }
  }
}

void Launcher::onRankExit(Rank& rank, int status) {
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
    ++cleanExits_;
    return;
  }
  if (stopping_) return;
  const std::string what = describeExit(rank.rank, rank.pid, status);
  if (!options_.keepGoing) {
    std::fprintf(stderr, "weftrun: %s\n", what.c_str());
    beginStop(exitStatusOf(status), SIGTERM);
    return;
  }
  const bool othersRun = runningCount() > 0;
  std::fprintf(stderr, "weftrun: %s%s\n", what.c_str(), othersRun ? "; the other ranks run on (--keep-going)" : "");
  rank.lost = true;
  if (exitCode_ == 0) exitCode_ = exitStatusOf(status);  // the status if no rank exits 0
}

// With --keep-going, one line at the end that sums up the ranks lost, if any.
void Launcher::reportLosses() const {
  std::vector<int> lost;
  for (const auto& r : ranks_) {
    if (r.lost) lost.push_back(r.rank);
  }
  if (lost.empty()) return;
  const char* others = lost.size() == ranks_.size() ? ""
                       : stopping_                   ? "; then the job was stopped"
                                                     : "; the others exited 0";
  std::fprintf(stderr, "weftrun: %s%s\n", describeLosses(lost, static_cast<int>(ranks_.size())).c_str(), others);
}

// Records the exit status and sends `signal` (0: none) to every running rank, arming the deadline
// after which killRemaining() sends SIGKILL.
void Launcher::beginStop(int exitCode, int signal) {
  if (stopping_) return;
  stopping_ = true;
  exitCode_ = exitCode;
  if (signal != 0) {
    for (const auto& r : ranks_) {
      if (r.running) ::kill(r.pid, signal);  // unreaped, so the pid cannot have been reused
    }
  }
  killDeadline_ = std::chrono::steady_clock::now() + options_.grace;
}

void Launcher::killRemaining() {
  if (killSent_) return;
  killSent_ = true;
  const int left = runningCount();
  if (left == 0) return;
  std::fprintf(stderr, "weftrun: sending SIGKILL to %d rank(s) still running\n", left);
  for (const auto& r : ranks_) {
    if (r.running) ::kill(r.pid, SIGKILL);
  }
}

int Launcher::pollTimeoutMs() const {
  if (!killDeadline_ || killSent_) return -1;
  const auto left = *killDeadline_ - std::chrono::steady_clock::now();
  if (left <= std::chrono::steady_clock::duration::zero()) return 0;
  // Round up so that we do not wake just before the deadline and spin.
  return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
}

int Launcher::runningCount() const {
  int n = 0;
  for (const auto& r : ranks_) n += r.running ? 1 : 0;
  return n;
}

// Runs once every rank is reaped. Leftovers die first so that their pipe ends close and their
// pids join reaped_ before the output is flushed and the segments are removed.
void Launcher::finishJob() {
  if (finished_) return;
  finished_ = true;
  const int leftovers = killLeftovers(reaped_);
  if (leftovers > 0) {
    std::fprintf(stderr, "weftrun: killed %d process(es) the ranks left running\n", leftovers);
  }
  if (relay_) relay_->finish();
  removeShmSegments(reaped_);
}

}  // namespace weft::weftrun
