// SPDX-License-Identifier: Apache-2.0
// Runs lists of rank checks (rank_checks.h) on thread ranks, and the sweeps of cases the
// collective tests share: counts 0, 1, 7, 1000 over every datatype, op, root and layout.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/collectives/rank_checks.h"
#include "tests/support/ranks.h"
#include "tests/support/sweep.h"
#include "tests/support/values.h"

namespace weft::test {

// Every rank runs every case in order (so that all ranks make the same calls) and keeps its first
// mismatch; returns the lowest rank's, or "" when there is none.
inline std::string runCases(std::vector<Comm>& comms, const std::vector<Case>& cases, CheckFn check) {
  std::vector<std::string> errors(comms.size());
  onEachRank(comms, [&](Comm& comm, int rank) {
    for (const Case& c : cases) {
      std::string err = check(comm, c);
      if (errors[size_t(rank)].empty()) errors[size_t(rank)] = std::move(err);
    }
  });
  for (auto& e : errors) {
    if (!e.empty()) return e;
  }
  return {};
}

// What a collective takes: reduction ops, a root, an in-place layout.
struct Shape {
  bool ops = false;
  bool rooted = false;
  bool inPlace = false;
};

inline std::vector<bool> layouts(const Shape& s) {
  return s.inPlace ? std::vector<bool>{false, true} : std::vector<bool>{false};
}

// Counts 0, 1, 7, 1000 x every datatype x every op (reductions) x both layouts x every root
// (rooted calls).
inline std::vector<Case> smallSweep(int ranks, const Shape& s) {
  std::vector<Case> cases;
  for (size_t count : {size_t(0), size_t(1), size_t(7), size_t(1000)}) {
    for (auto t : kAllTypes) {
      for (auto op : kAllOps) {
        if (!s.ops && op != weftSum) continue;
        for (bool inPlace : layouts(s)) {
          for (int root = 0; root < (s.rooted ? ranks : 1); ++root) cases.push_back({t, op, count, root, inPlace});
        }
      }
    }
  }
  return cases;
}

// Thread-rank communicators with WEFT_ALGO set to `spec` ("reduce:tree"; it is read at init); an
// algorithm that declines a call falls back to the default.
inline std::vector<Comm> initWithAlgorithm(const std::string& spec, int ranks, EnvSettings env = {}) {
  env.emplace_back("WEFT_ALGO", spec);
  return initAllWith(ranks, env);
}

inline const size_t kBigCount = bigCount();  // many pipelined chunks and a ragged tail

}  // namespace weft::test
