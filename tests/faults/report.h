// SPDX-License-Identifier: Apache-2.0
// What fault_trials prints: a line per trial (every rank's outcome where it failed or with
// --verbose), and a summary of outcomes and detection times per fault and placement.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "tests/faults/judge.h"
#include "tests/faults/trial.h"

namespace weft::faults {

std::string join(const std::vector<std::string>& words);

// Not thread-safe.
class Summary {
 public:
  Summary(Bounds b, bool allowKnownGaps) : bounds_(b), allowKnown_(allowKnownGaps) {}
  void skip(const std::string& why) { ++skipped_[why]; }
  // Prints trial `t` and counts it: passed, failed, or into a known gap (`gap`, Note [Known gaps]).
  void add(int t, const TrialResult& r, const std::vector<std::string>& problems, const std::string& gap,
           bool verbose);
  // Prints the summary; returns the exit status: 0 all passed (or only known gaps, where allowed),
  // 1 one failed, 77 none ran.
  int print() const;

 private:
  struct Group {
    int trials = 0, failed = 0, known = 0;
    std::map<std::string, int> outcomes;
    std::vector<double> detect, close;  // seconds, per survivor
  };
  Bounds bounds_;
  bool allowKnown_;
  std::map<std::string, int> gaps_;      // trials by known gap
  std::map<std::string, Group> groups_;  // by "fault/where"
  std::map<std::string, int> skipped_;   // by reason
};

}  // namespace weft::faults
