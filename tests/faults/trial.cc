// SPDX-License-Identifier: Apache-2.0
// Running one fault trial: start the ranks, wait until all are past their first call, inject the
// fault, reap everyone within a limit and read their reports.
#include "tests/faults/trial.h"

#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <sstream>
#include <thread>

#include "tests/faults/netns.h"
#include "tests/support/subprocess.h"

namespace weft::faults {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

long long nanos(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// Whether the process has exited, without reaping it (a zombie must stay for the trial).
bool exited(pid_t pid) {
  siginfo_t info{};
  return ::waitid(P_PID, id_t(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid;
}

// Fills `rep` from the lines fault_rank printed (its header comment lists them).
void parseReport(const std::string& out, long long faultNs, RankReport& rep) {
  for (const std::string& line : test::splitLines(out)) {
    std::istringstream in(line);
    std::string word;
    in >> word;
    std::string rest = line.size() > word.size() + 1 ? line.substr(word.size() + 1) : "";
    if (word == "fail") {
      long long at = 0, start = 0;
      in >> rep.code >> at >> start;
      rep.detectSeconds = double(at - faultNs) * 1e-9;
      rep.waitedSeconds = double(at - start) * 1e-9;
    } else if (word == "call") {
      rep.call = rest;
    } else if (word == "message") {
      rep.message = rest;
    } else if (word == "later") {
      in >> rep.laterCode;
      std::getline(in >> std::ws, rep.laterMessage);
    } else if (word == "close") {
      long long ms = 0;
      in >> rep.closedBy >> rep.closeCode >> ms;
      rep.closeSeconds = double(ms) * 1e-3;
    } else if (word == "wrong" || word == "init") {
      rep.wrong = line;
    }
  }
}


}  // namespace

const char* faultName(Fault f) {
  switch (f) {
    case Fault::Kill: return "kill";
    case Fault::Stop: return "stop";
    case Fault::Cut: return "cut";
    case Fault::Corrupt: return "corrupt";
  }
  return "?";
}

TrialResult runTrial(const TrialSpec& s, const Programs& programs, NetnsHosts* hosts) {
  TrialResult result{s, false, {}, {}, {}};
  test::TempDir dir;
  const bool netns = s.where == "hosts";
  const int perHost = s.nranks / s.hosts;
  const std::string port = std::to_string(netns ? 20000 + int(s.seed % 20000) : test::freePort());
  std::vector<std::unique_ptr<test::Subprocess>> procs;
  std::vector<Clock::time_point> spawned;
  std::vector<pid_t> pids;
  for (int r = 0; r < s.nranks; ++r) {
    test::EnvMap env{{"RANK", std::to_string(r)}, {"WORLD_SIZE", std::to_string(s.nranks)},
                     {"MASTER_ADDR", netns ? hosts->addr(0) : "127.0.0.1"}, {"MASTER_PORT", port},
                     {"WEFT_TIMEOUT", std::to_string(s.timeoutSeconds)}, {"WEFT_BOOTSTRAP_TIMEOUT", "30"},
                     {"WEFT_DEBUG", "WARN"}};
    if (!netns) env["WEFT_TRANSPORT"] = s.where;
    if (s.where == "ucx") env["UCX_NET_DEVICES"] = "lo";
    if (s.fault == Fault::Corrupt && r == s.target) {
      env["LD_PRELOAD"] = programs.shim;
      env["CORRUPT_FRAME_SEED"] = std::to_string(s.seed);
    }
    std::vector<std::string> argv = netns ? hosts->exec(r / perHost) : std::vector<std::string>{};
    argv.insert(argv.end(), {programs.rank, std::to_string(s.seed), std::to_string(s.maxLog),
                             (dir.path() / ("ready-" + std::to_string(r))).string()});
    spawned.push_back(Clock::now());
    procs.push_back(std::make_unique<test::Subprocess>(argv, test::childEnvironment(env)));
    pids.push_back(procs.back()->pid());
  }

  // Every rank past its first call, unless one gave up (init failed) or 40 s went by.
  const Clock::time_point readyBy = Clock::now() + std::chrono::seconds(40);
  for (int r = 0; r < s.nranks && Clock::now() < readyBy;) {
    if (fs::exists(dir.path() / ("ready-" + std::to_string(r)))) {
      ++r;
      continue;
    }
    bool someoneExited = false;
    for (pid_t p : pids) someoneExited |= exited(p);
    if (someoneExited) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.ready = true;
  for (int r = 0; r < s.nranks; ++r) result.ready &= fs::exists(dir.path() / ("ready-" + std::to_string(r)));

  Clock::time_point faultAt = Clock::now();
  const pid_t target = pids[size_t(s.target)];
  if (result.ready) {
    std::this_thread::sleep_for(std::chrono::duration<double>(s.delaySeconds));
    faultAt = Clock::now();
    switch (s.fault) {
      case Fault::Kill: ::kill(target, SIGKILL); break;
      case Fault::Stop: ::kill(target, SIGSTOP); break;
      case Fault::Corrupt: ::kill(target, SIGUSR1); break;
      case Fault::Cut:
        if (!hosts->link(s.target, false)) result.note = "netns-hosts link down failed";
        break;
    }
  }

  // Survivors first, each within its limit; then the stopped rank, resumed; the killed one last.
  const double limit = (s.fault == Fault::Kill ? 10 : s.timeoutSeconds + 10);
  auto reap = [&](int r, Clock::time_point by) {
    RankReport& rep = result.ranks[size_t(r)];
    const test::ProcessResult pr = procs[size_t(r)]->wait(by - spawned[size_t(r)]);
    rep.exitCode = pr.exitCode;
    rep.signal = pr.signal;
    rep.hung = pr.signal == SIGKILL && !(s.fault == Fault::Kill && rep.faulty) && Clock::now() >= by;
    rep.stderrTail = pr.err.size() > 4000 ? pr.err.substr(pr.err.size() - 4000) : pr.err;
    parseReport(pr.out, nanos(faultAt), rep);
    if (s.fault == Fault::Corrupt && r == s.target && pr.err.find("corrupt_frame: ") != std::string::npos) {
      result.note = pr.err.substr(pr.err.find("corrupt_frame: "));
      result.note = result.note.substr(0, result.note.find('\n'));
    }
  };
  result.ranks.resize(size_t(s.nranks));
  for (int r = 0; r < s.nranks; ++r) {
    result.ranks[size_t(r)].rank = r;
    // The corrupting rank is no victim: it is judged like everyone else, but named in the note.
    result.ranks[size_t(r)].faulty = r == s.target && (s.fault == Fault::Kill || s.fault == Fault::Stop);
  }
  const auto deadline = faultAt + std::chrono::duration<double>(result.ready ? limit : 0.0);
  for (int r = 0; r < s.nranks; ++r) {
    if (!result.ranks[size_t(r)].faulty) reap(r, std::chrono::time_point_cast<Clock::duration>(deadline));
  }
  if (s.fault == Fault::Cut && result.ready) hosts->link(s.target, true);
  if (s.fault == Fault::Stop) ::kill(target, SIGCONT);
  if (result.ranks[size_t(s.target)].faulty) {
    const auto by = Clock::now() + std::chrono::duration<double>(s.timeoutSeconds + 10);
    reap(s.target, std::chrono::time_point_cast<Clock::duration>(by));
  }
  result.leftovers = weft::test::shmLeftovers(pids);
  return result;
}

}  // namespace weft::faults
