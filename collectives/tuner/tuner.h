// SPDX-License-Identifier: Apache-2.0
// The tuner: predicts each algorithm's time for a call from a tuning table and picks the fastest.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/algorithm.h"
#include "collectives/tuner/table.h"

namespace weft::coll {

// Note [Cost model]: each (collective, algorithm, transport) has, per measured rank count and
// size band, time = alpha + beta * bytes. Measured at the communicator's own rank count, the
// constants are used as they are: with more ranks than cores a step's price depends on how many
// ranks are runnable at once, which no formula predicts (docs/benchmarks.md). At another rank
// count they come from the nearest measured one, alpha scaled by the algorithm's ratio of steps
// and beta by its ratio of volume (Algorithm::shape). An algorithm without constants for the
// transport is not a candidate; a call no candidate supports goes to the default algorithm.
//
// Built once per communicator; immutable after: thread-safe.
class Tuner {
 public:
  Tuner() = default;
  Tuner(const TuningTable& table, std::string_view transport, int nranks);

  // The candidate with the least predicted time among those that support the call, or null
  // when no candidate does. `withHandOff` false: only among those that never hand off.
  // An algorithm that hands off (the shared ones) only where one small-message round, the
  // price of a hand-off, is at most kHandOffShare of the best other algorithm's time.
  const Algorithm* choose(const CollArgs& args, const Context& ctx, bool withHandOff = true) const;
  static constexpr double kHandOffShare = 0.02;
  // Predicted microseconds for `algo` at `bytes`; nullopt when it has no constants.
  std::optional<double> predict(const Algorithm& algo, size_t bytes) const;
  // Why choose() chose: "tree 12.1 us < ring 30.5 us (shm, 4 ranks measured, built-in)".
  std::string explain(const CollArgs& args, const Context& ctx) const;

 private:
  struct Band {
    size_t lo, hi;
    double alphaUs, betaUsPerByte;
  };
  struct Model {
    const Algorithm* algo;
    int measuredRanks;  // the rank count the constants were measured at
    std::vector<Band> bands;  // sorted by lo
    double predict(size_t bytes) const;
  };
  const Model* modelFor(const Algorithm& algo) const;

  std::array<std::vector<Model>, kCollKinds> models_;
  std::string transport_;
  int nranks_ = 1;
  std::string origin_;
};

}  // namespace weft::coll
