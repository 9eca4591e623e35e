// SPDX-License-Identifier: Apache-2.0
// Randomized fault trials (docs/faults.md): kill -9 or SIGSTOP a rank, cut a simulated host's link,
// or corrupt a TCP frame, at a random moment of a random call, and check every survivor.
//
//   fault_trials [--trials N] [--seed S] [--first T] [--faults kill,stop,cut,corrupt]
//                [--where shm,tcp,ucx,hosts] [--ranks MIN-MAX] [--timeout S] [--kill-bound S]
//                [--slack S] [--max-delay S] [--max-log L] [--allow-known-gaps] [--verbose]
//
// Trial T's parameters follow from (S, T) and the lists alone, so `--seed S --first T --trials 1`
// with the same lists replays it (the moment within the call is left to timing). Exits 0 when
// every trial passed, 1 when one failed, 77 when none could run; a trial that ran into a known
// gap (Note [Known gaps] in judge.h) counts as failed unless --allow-known-gaps.
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "tests/faults/judge.h"
#include "tests/faults/netns.h"
#include "tests/faults/report.h"
#include "tests/faults/trial.h"

namespace wf = weft::faults;

namespace {

// Set by SIGINT or SIGTERM: the run stops after the current trial, so that the simulated hosts
// are taken down (the ranks die with this process: fault_rank asks for PR_SET_PDEATHSIG).
volatile sig_atomic_t stopRequested = 0;
void requestStop(int) { stopRequested = 1; }

struct Options {
  int trials = 20, first = 0, minRanks = 2, maxRanks = 8, maxLog = 14;
  uint64_t seed = 0;
  double timeout = 2, maxDelay = 0.5;
  std::vector<std::string> faults{"kill", "stop", "cut", "corrupt"}, where{"shm", "tcp", "ucx", "hosts"};
  wf::Bounds bounds;
  bool verbose = false, allowKnown = false;
  wf::Programs programs{WEFT_FAULTS_RANK, WEFT_FAULTS_SHIM};
  std::string netns = WEFT_FAULTS_NETNS;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  for (size_t at = 0; at <= s.size();) {
    const size_t comma = std::min(s.find(',', at), s.size());
    if (comma > at) out.push_back(s.substr(at, comma - at));
    at = comma + 1;
  }
  return out;
}

bool parse(int argc, char** argv, Options& o) {
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--verbose") { o.verbose = true; continue; }
    if (a == "--allow-known-gaps") { o.allowKnown = true; continue; }
    if (i + 1 >= argc) return false;
    const char* v = argv[++i];
    if (a == "--trials") o.trials = std::atoi(v);
    else if (a == "--seed") o.seed = std::strtoull(v, nullptr, 0);
    else if (a == "--first") o.first = std::atoi(v);
    else if (a == "--faults") o.faults = split(v);
    else if (a == "--where") o.where = split(v);
    else if (a == "--ranks") std::sscanf(v, "%d-%d", &o.minRanks, &o.maxRanks);
    else if (a == "--timeout") o.timeout = std::atof(v);
    else if (a == "--kill-bound") o.bounds.killSeconds = std::atof(v);
    else if (a == "--slack") o.bounds.slackSeconds = std::atof(v);
    else if (a == "--max-delay") o.maxDelay = std::atof(v);
    else if (a == "--max-log") o.maxLog = std::atoi(v);
    else return false;
  }
  return o.minRanks >= 2 && o.maxRanks >= o.minRanks && o.maxRanks <= 16 && o.trials >= 0 && !o.faults.empty();
}

// Where each fault can be injected: a cut needs two simulated hosts, a corrupt frame weft's TCP.
std::vector<std::string> placements(const std::string& fault, const std::vector<std::string>& where) {
  const std::map<std::string, std::vector<std::string>> all{
      {"kill", {"shm", "tcp", "ucx", "hosts"}}, {"stop", {"shm", "tcp", "ucx"}},
      {"cut", {"hosts"}}, {"corrupt", {"tcp"}}};
  std::vector<std::string> out;
  if (!all.count(fault)) return out;
  for (const std::string& w : all.at(fault)) {
    if (std::find(where.begin(), where.end(), w) != where.end()) out.push_back(w);
  }
  return out;
}

// Trial t's parameters, from the seed and the lists only; false when no placement fits its fault.
std::pair<wf::TrialSpec, bool> draw(const Options& o, int t) {
  std::mt19937_64 rng(o.seed * 0x9E3779B97F4A7C15ull + uint64_t(t) * 0xBF58476D1CE4E5B9ull + 1);
  wf::TrialSpec s;
  const std::string fault = o.faults[rng() % o.faults.size()];
  const std::vector<std::string> where = placements(fault, o.where);
  if (where.empty()) return {s, false};
  s.fault = fault == "kill"   ? wf::Fault::Kill
            : fault == "stop" ? wf::Fault::Stop
            : fault == "cut"  ? wf::Fault::Cut
                              : wf::Fault::Corrupt;
  s.where = where[rng() % where.size()];
  s.nranks = o.minRanks + int(rng() % uint64_t(o.maxRanks - o.minRanks + 1));
  if (s.where == "hosts") {
    s.hosts = 2 + int(rng() % uint64_t(std::min(3, o.maxRanks - 1)));  // 2-4 hosts of 1 or 2 ranks
    s.nranks = s.hosts * (s.hosts * 2 <= o.maxRanks && rng() % 2 ? 2 : 1);
  }
  s.target = int(rng() % uint64_t(s.fault == wf::Fault::Cut ? s.hosts : s.nranks));
  s.delaySeconds = double(rng() % 1000) / 1000 * o.maxDelay;
  s.seed = rng();
  s.timeoutSeconds = s.fault == wf::Fault::Kill ? 30 : o.timeout;  // a kill must be seen long before
  s.maxLog = o.maxLog;
  return {s, true};
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!parse(argc, argv, o)) {
    std::fprintf(stderr, "usage: see the head of tests/faults/fault_trials.cc\n");
    return 2;
  }
  if (o.seed == 0) o.seed = (uint64_t(::getpid()) << 32) ^ uint64_t(time(nullptr));
  std::printf("fault_trials: seed %#llx, trials %d-%d, faults %s, where %s\n", (unsigned long long)o.seed, o.first,
              o.first + o.trials - 1, wf::join(o.faults).c_str(), wf::join(o.where).c_str());
  std::unique_ptr<wf::NetnsHosts> hosts;
  std::string noHosts;
  wf::Summary summary(o.bounds, o.allowKnown);
  std::signal(SIGINT, requestStop);
  std::signal(SIGTERM, requestStop);
  for (int t = o.first; t < o.first + o.trials && !stopRequested; ++t) {
    auto [spec, ok] = draw(o, t);
    if (ok && spec.where == "hosts" && !hosts && noHosts.empty()) {
      hosts = wf::NetnsHosts::up(o.netns, 4, &noHosts);
    }
    if (!ok || (spec.where == "hosts" && !hosts)) {
      summary.skip(!ok ? "no placement fits" : noHosts);
      continue;
    }
    const wf::TrialResult result = wf::runTrial(spec, o.programs, hosts.get());
    const std::vector<std::string> problems = wf::judge(result, o.bounds);
    const std::string gap = problems.empty() ? "" : wf::knownGap(result, problems);
    summary.add(t, result, problems, gap, o.verbose);
    if (!problems.empty()) {
      std::printf("  replay: %s --seed %#llx --first %d --trials 1 --faults %s --where %s --ranks %d-%d --timeout %g "
                  "--max-delay %g --max-log %d --verbose\n",
                  argv[0], (unsigned long long)o.seed, t, wf::join(o.faults).c_str(), wf::join(o.where).c_str(),
                  o.minRanks, o.maxRanks, o.timeout, o.maxDelay, o.maxLog);
    }
    std::fflush(stdout);
  }
  hosts.reset();
  return summary.print();
}
