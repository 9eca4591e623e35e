// SPDX-License-Identifier: Apache-2.0
// Tuning tables: measured alpha-beta constants per (collective, algorithm, transport, ranks,
// size band), in the text format weft-tune writes (docs/tuning.md).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/algorithm.h"

namespace weft::coll {

// One fitted line: a call of `bytes` in [lo, hi) with `nranks` ranks over `transport` takes
// alphaUs + betaNsPerByte * bytes / 1000 microseconds. `bytes` is count times element size, as
// in WEFT_ALGO (per rank for all-gather, reduce-scatter, all-to-all, scatter and gather).
struct TuningEntry {
  CollKind kind = CollKind::AllReduce;
  std::string algorithm;
  std::string transport;
  int nranks = 0;
  size_t lo = 0, hi = 0;
  double alphaUs = 0;
  double betaNsPerByte = 0;
};

// Immutable once built: thread-safe.
class TuningTable {
 public:
  TuningTable() = default;

  // Parses the text format. Throws InvalidArgument naming `origin` and the line that is wrong
  // (unknown collective or algorithm, bad range, negative or non-finite constant, ...).
  static TuningTable parse(std::string_view text, std::string origin);
  // Reads and parses a file. Throws InvalidArgument (unreadable or malformed).
  static TuningTable load(const std::string& path);
  // The table shipped with weft (collectives/tuner/defaults.conf).
  static const TuningTable& builtin();

  // This table, where every (collective, transport) that `over` covers comes from `over` alone:
  // a calibration replaces the shipped constants rather than mixing with them.
  TuningTable overriddenBy(const TuningTable& over) const;

  std::span<const TuningEntry> entries() const { return entries_; }
  // Where it came from: "built-in", "/path/to/file", or both joined by " over ".
  const std::string& origin() const { return origin_; }
  // A hash of the entries: equal tables have equal fingerprints.
  uint64_t fingerprint() const;

 private:
  std::vector<TuningEntry> entries_;
  std::string origin_ = "empty";
};

}  // namespace weft::coll
