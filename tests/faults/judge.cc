// SPDX-License-Identifier: Apache-2.0
// Judging a fault trial: every survivor fails in time, with an allowed code, naming a cause that
// holds; nothing hangs, crashes, succeeds with wrong data or leaves shared memory behind.
#include "tests/faults/judge.h"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <regex>

namespace weft::faults {
namespace {

const RankReport* find(const TrialResult& t, int rank) {
  return rank >= 0 && rank < int(t.ranks.size()) ? &t.ranks[size_t(rank)] : nullptr;
}

int hostOf(const TrialSpec& s, int rank) { return rank / (s.nranks / s.hosts); }

constexpr double kNoticeSlack = 0.1;  // seconds

bool allowed(Fault f, int code) {
  switch (f) {
    case Fault::Kill: return code == 6;                 // weftRemoteError
    case Fault::Stop:
    case Fault::Cut: return code == 8 || code == 6;     // weftTimeout, or a peer that gave up first
    case Fault::Corrupt: return code == 6 || code == 5 || code == 8;  // ... or weftInvalidUsage
  }
  return false;
}

// Whether `r` names the fault itself (not a rank that failed because of it).
bool namesFault(const TrialResult& t, const RankReport& r) {
  const int named = namedRank(r.message, r.rank);
  if (t.spec.fault == Fault::Cut) {
    return named >= 0 && (hostOf(t.spec, named) == t.spec.target) != (hostOf(t.spec, r.rank) == t.spec.target);
  }
  // The corrupting rank also fails (its peers leave): only a check of its frame names the fault,
  // not a timeout waiting for it nor its exit.
  if (t.spec.fault == Fault::Corrupt) {
    return named == t.spec.target && r.code != 8 && r.message.find(" exited while ") == std::string::npos;
  }
  return named == t.spec.target;
}

}  // namespace

int namedRank(const std::string& message, int self) {
  static const std::regex kRank("ranks? ([0-9]+)");
  for (auto it = std::sregex_iterator(message.begin(), message.end(), kRank); it != std::sregex_iterator(); ++it) {
    const int n = std::stoi((*it)[1].str());
    if (n != self) return n;
  }
  return -1;
}

std::string codeName(int code) {
  static const char* const kNames[] = {"success", "cuda error", "system error", "internal error", "invalid argument",
                                       "invalid usage", "remote error", "in progress", "timeout"};
  return code >= 0 && code < 9 ? kNames[code] : "no error";
}

std::string outcome(const TrialResult& t, const RankReport& r) {
  const std::string code = codeName(r.code);
  const int named = namedRank(r.message, r.rank);
  if (namesFault(t, r)) {
    switch (t.spec.fault) {
      case Fault::Kill: return code + " naming the killed rank";
      case Fault::Stop: return code + " naming the stopped rank";
      case Fault::Cut: return code + " naming a rank across the cut";
      case Fault::Corrupt: return code + " naming the corrupting rank";
    }
  }
  if (named < 0) return code + " naming no rank";
  // A cascade: the rank named failed before this one, because of the fault. "Before" allows
  // kNoticeSlack: a failure notice (Note [Failure notices]) is sent before its sender's own call
  // returns, so the receiver's call may return first.
  const RankReport* other = find(t, named);
  if (other && !other->faulty && other->signal != 0) return code + " naming a rank that crashed";
  if (other && other->code >= 0 && !other->faulty && other->detectSeconds <= r.detectSeconds + kNoticeSlack) {
    return code + " naming a rank that failed first";
  }
  // A rank knows only whom it waits for: that peer may itself be stuck behind the fault.
  if (r.code == 8) return code + " naming a rank it waited for";
  return code + " naming another rank";
}

double bound(const TrialSpec& s, const Bounds& b) {
  if (s.fault == Fault::Kill) return s.where == "hosts" ? s.timeoutSeconds : b.killSeconds;
  if (s.fault == Fault::Corrupt) return b.killSeconds;  // a checked frame fails at once
  return s.timeoutSeconds + b.slackSeconds;
}

std::vector<std::string> judge(const TrialResult& t, const Bounds& b) {
  std::vector<std::string> bad;
  const TrialSpec& s = t.spec;
  if (!t.ready) {
    for (const RankReport& r : t.ranks) {
      if (!r.wrong.empty()) bad.push_back("rank " + std::to_string(r.rank) + ": " + r.wrong);
    }
    bad.push_back("the ranks never all got through their first call");
    return bad;
  }
  const double limit = bound(s, b);
  bool named = false;
  for (const RankReport& r : t.ranks) {
    const std::string who = "rank " + std::to_string(r.rank) + (r.faulty ? " (resumed)" : "") + ": ";
    if (r.hung) {
      bad.push_back(who + "still running at the driver's limit (a hang)");
      continue;
    }
    if (r.signal != 0 && !(r.faulty && s.fault == Fault::Kill)) {
      bad.push_back(who + "killed by signal " + std::to_string(r.signal));
    }
    if (!r.wrong.empty()) bad.push_back(who + r.wrong);
    if (r.faulty) continue;  // the stopped rank, once resumed, only has to end without a crash or hang
    if (r.code < 0) {
      bad.push_back(who + "exited with status " + std::to_string(r.exitCode) + " without reporting a failed call");
      continue;
    }
    const std::string what = " (" + r.call + ": " + r.message + ")";
    if (!allowed(s.fault, r.code)) bad.push_back(who + codeName(r.code) + " is not allowed for this fault" + what);
    if (r.detectSeconds < 0) {
      bad.push_back(who + "failed " + std::to_string(-r.detectSeconds) + " s before the fault" + what);
    }
    if (r.detectSeconds > limit) {
      bad.push_back(who + "failed " + std::to_string(r.detectSeconds) + " s after the fault, past the bound of " +
                    std::to_string(limit) + " s" + what);
    }
    if (r.code == 8 && r.waitedSeconds < s.timeoutSeconds - 0.05) {
      bad.push_back(who + "timed out after waiting only " + std::to_string(r.waitedSeconds) + " s" + what);
    }
    const std::string how = outcome(t, r);
    if (how.ends_with("another rank") || how.ends_with("no rank")) bad.push_back(who + how + what);
    named |= namesFault(t, r);
    if (r.laterCode == 0) bad.push_back(who + "a call after the failure succeeded");
    const int cause = namedRank(r.message, r.rank);
    if (r.laterCode != 0 && cause >= 0 && namedRank(r.laterMessage, r.rank) != cause) {
      bad.push_back(who + "a call after the failure does not name rank " + std::to_string(cause) + ": " +
                    r.laterMessage);
    }
    const std::string close = r.closedBy == "abort" ? "weftCommAbort" : "weftCommDestroy";
    if (r.closeCode != 0) bad.push_back(who + close + " returned " + std::to_string(r.closeCode));
    if (r.closeSeconds > b.closeSeconds) bad.push_back(who + close + " took " + std::to_string(r.closeSeconds) + " s");
  }
  if (!named) {
    bad.push_back(std::string("no survivor's error names the ") + faultName(s.fault) + " target (" +
                  (s.fault == Fault::Cut ? "host " : "rank ") + std::to_string(s.target) + ")");
  }
  for (const std::string& l : t.leftovers) bad.push_back("left in /dev/shm: " + l);
  return bad;
}

std::string knownGap(const TrialResult& t, const std::vector<std::string>& problems) {
  for (const std::string& p : problems) {
    if (p.find("(a hang)") != std::string::npos || p.find("wrong ") != std::string::npos ||
        p.find("left in /dev/shm") != std::string::npos) {
      return "";
    }
  }
  for (const RankReport& r : t.ranks) {
    if (t.spec.where == "ucx" && r.signal == SIGABRT && r.stderrTail.find("cma_ep.c") != std::string::npos &&
        r.stderrTail.find("process_vm_readv") != std::string::npos) {
      return "ucx-cma-abort";
    }
  }
  return "";
}

}  // namespace weft::faults
