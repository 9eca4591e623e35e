// SPDX-License-Identifier: Apache-2.0
// Printing fault trials and their summary.
#include "tests/faults/report.h"

#include <algorithm>
#include <cstdio>

namespace weft::faults {
namespace {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}
double worst(const std::vector<double>& v) { return v.empty() ? 0 : *std::max_element(v.begin(), v.end()); }

std::string clip(const std::string& s, size_t n) { return s.size() <= n ? s : s.substr(0, n) + "..."; }

void printRank(const TrialResult& t, const RankReport& r) {
  if (r.faulty && t.spec.fault == Fault::Kill) {
    std::printf("    rank %d: killed\n", r.rank);
    return;
  }
  std::printf("    rank %d%s: ", r.rank, r.faulty ? " (stopped, then resumed)" : "");
  if (r.hung) std::printf("HUNG; ");
  if (r.signal) std::printf("killed by signal %d; ", r.signal);
  if (!r.wrong.empty()) std::printf("%s; ", r.wrong.c_str());
  if (r.code < 0) {
    std::printf("no failed call reported (exit %d); its stderr ends:\n%s\n", r.exitCode, r.stderrTail.c_str());
    return;
  }
  std::printf("%s after %.3f s (its call waited %.3f s) in %s: %s; later call: %s; %s %.3f s\n",
              outcome(t, r).c_str(), r.detectSeconds, r.waitedSeconds, r.call.c_str(), clip(r.message, 400).c_str(),
              codeName(r.laterCode).c_str(), r.closedBy.c_str(), r.closeSeconds);
}

}  // namespace

std::string join(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) out += (out.empty() ? "" : ",") + w;
  return out;
}

void Summary::add(int t, const TrialResult& r, const std::vector<std::string>& problems, const std::string& gap,
                  bool verbose) {
  const TrialSpec& s = r.spec;
  Group& g = groups_[std::string(faultName(s.fault)) + "/" + s.where];
  ++g.trials;
  g.failed += !problems.empty() && gap.empty();
  g.known += !gap.empty();
  if (!gap.empty()) ++gaps_[gap];
  double worstHere = 0;
  for (const RankReport& rank : r.ranks) {
    if (rank.faulty) {
      if (s.fault == Fault::Stop) {
        const std::string how = rank.signal ? "killed by signal " + std::to_string(rank.signal) : codeName(rank.code);
        ++g.outcomes["(the stopped rank, resumed: " + how + ")"];
      }
      continue;
    }
    ++g.outcomes[rank.signal ? "killed by signal " + std::to_string(rank.signal)
                 : rank.code < 0 ? "no error reported" : outcome(r, rank)];
    if (rank.code < 0) continue;
    g.detect.push_back(rank.detectSeconds);
    g.close.push_back(rank.closeSeconds);
    worstHere = std::max(worstHere, rank.detectSeconds);
  }
  std::printf("trial %d: %s/%s, %d ranks%s, %s %d after %.3f s: %s, worst detection %.3f s\n", t, faultName(s.fault),
              s.where.c_str(), s.nranks, s.hosts > 1 ? (" on " + std::to_string(s.hosts) + " hosts").c_str() : "",
              s.fault == Fault::Cut ? "host" : "rank", s.target, s.delaySeconds,
              problems.empty() ? "passed" : gap.empty() ? "FAILED" : ("known gap " + gap).c_str(), worstHere);
  if (!r.note.empty()) std::printf("    %s\n", r.note.c_str());
  if (verbose || !problems.empty()) {
    for (const RankReport& rank : r.ranks) printRank(r, rank);
  }
  for (const std::string& p : problems) std::printf("    %s: %s\n", gap.empty() ? "FAIL" : "known", p.c_str());
}

int Summary::print() const {
  int trials = 0, failed = 0, known = 0, skipped = 0;
  for (const auto& [name, g] : groups_) trials += g.trials, failed += g.failed, known += g.known;
  for (const auto& [why, n] : skipped_) skipped += n;
  std::printf("\nfault_trials: %d trials, %d passed, %d failed, %d in known gaps, %d skipped\n", trials,
              trials - failed - known, failed, known, skipped);
  for (const auto& [name, g] : groups_) {
    std::printf("  %-13s %3d trials, %3zu survivors: detection median %.3f s, worst %.3f s; close worst %.3f s\n",
                name.c_str(), g.trials, g.detect.size(), median(g.detect), worst(g.detect), worst(g.close));
    for (const auto& [what, n] : g.outcomes) std::printf("  %17d  %s\n", n, what.c_str());
  }
  for (const auto& [gap, n] : gaps_) std::printf("  known gap %s: %d trials (docs/faults.md)\n", gap.c_str(), n);
  for (const auto& [why, n] : skipped_) std::printf("  skipped %d: %s\n", n, why.c_str());
  std::printf("  bounds: a kill or a corrupt frame %.1f s on one host (WEFT_TIMEOUT across hosts), a stop or a "
              "cut WEFT_TIMEOUT + %.1f s, closing %.1f s\n",
              bounds_.killSeconds, bounds_.slackSeconds, bounds_.closeSeconds);
  return failed || (known && !allowKnown_) ? 1 : trials == 0 ? 77 : 0;
}

}  // namespace weft::faults
