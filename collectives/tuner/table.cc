// SPDX-License-Identifier: Apache-2.0
// Parsing and merging tuning tables.
#include "collectives/tuner/table.h"

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <utility>

#include "collectives/algo_spec.h"
#include "collectives/registry.h"
#include "common/error.h"
#include "common/hash.h"

namespace weft::coll {

extern const char kBuiltinTuning[];  // generated from defaults.conf (tuner/embed.py)

namespace {

constexpr std::string_view kHeader = "weft-tuning 1";

bool algorithmExists(CollKind kind, std::string_view name) {
  for (const Algorithm* a : algorithms()) {
    if (a->kind() == kind && a->name() == name) return true;
  }
  return false;
}

// A finite, non-negative decimal number, or -1.
double parseConstant(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  if (s.empty() || end != s.c_str() + s.size() || !std::isfinite(v) || v < 0) return -1;
  return v;
}

TuningEntry parseLine(const std::string& line, const std::string& where) {
  auto bad = [&](const std::string& why) { return InvalidArgument(where + ": " + why + " in '" + line + "'"); };
  std::istringstream in(line);
  std::string kind, algo, transport, ranks, range, alpha, beta, extra;
  if (!(in >> kind >> algo >> transport >> ranks >> range >> alpha >> beta) || (in >> extra)) {
    throw bad("expected 7 fields: collective algorithm transport ranks LO-HI alpha_us beta_ns_per_byte");
  }
  TuningEntry e;
  const auto k = kindNamed(kind);
  if (!k) throw bad("unknown collective '" + kind + "'");
  e.kind = *k;
  if (!algorithmExists(e.kind, algo)) throw bad("no " + kind + " algorithm is called '" + algo + "'");
  e.algorithm = algo;
  e.transport = transport;
  char* end = nullptr;
  const long n = std::strtol(ranks.c_str(), &end, 10);
  if (end != ranks.c_str() + ranks.size() || n < 1 || n > (1 << 20)) throw bad("bad rank count '" + ranks + "'");
  e.nranks = int(n);
  const size_t dash = range.find('-');
  const auto lo = dash == std::string::npos ? std::nullopt : parseByteSize(std::string_view(range).substr(0, dash));
  const auto hi = dash == std::string::npos ? std::nullopt : parseByteSize(std::string_view(range).substr(dash + 1));
  if (!lo || !hi || *lo >= *hi) throw bad("bad size range '" + range + "' (LO-HI, e.g. 0-64K or 4M-inf)");
  e.lo = *lo;
  e.hi = *hi;
  e.alphaUs = parseConstant(alpha);
  e.betaNsPerByte = parseConstant(beta);
  if (e.alphaUs < 0 || e.betaNsPerByte < 0) throw bad("constants must be finite numbers >= 0");
  return e;
}

}  // namespace

TuningTable TuningTable::parse(std::string_view text, std::string origin) {
  TuningTable t;
  t.origin_ = std::move(origin);
  std::istringstream in{std::string(text)};
  std::string line;
  bool header = false;
  for (int lineNo = 1; std::getline(in, line); ++lineNo) {
    if (const size_t hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) continue;
    const std::string where = t.origin_ + ":" + std::to_string(lineNo);
    if (!header) {
      if (line != kHeader) throw InvalidArgument(where + ": a tuning table starts with '" + std::string(kHeader) + "'");
      header = true;
      continue;
    }
    t.entries_.push_back(parseLine(line, where));
  }
  if (!header) throw InvalidArgument(t.origin_ + ": empty, not a tuning table (no '" + std::string(kHeader) + "' line)");
  return t;
}

TuningTable TuningTable::load(const std::string& path) {
  std::ifstream f(path);
  if (!f) throw InvalidArgument("cannot read the tuning table '" + path + "' (WEFT_TUNE_FILE)");
  std::stringstream text;
  text << f.rdbuf();
  return parse(text.str(), path);
}

const TuningTable& TuningTable::builtin() {
  static const TuningTable table = parse(kBuiltinTuning, "built-in");
  return table;
}

TuningTable TuningTable::overriddenBy(const TuningTable& over) const {
  std::set<std::pair<CollKind, std::string>> covered;
  for (const TuningEntry& e : over.entries_) covered.emplace(e.kind, e.transport);
  TuningTable t;
  t.origin_ = over.origin_ + " over " + origin_;
  for (const TuningEntry& e : entries_) {
    if (!covered.count({e.kind, e.transport})) t.entries_.push_back(e);
  }
  t.entries_.insert(t.entries_.end(), over.entries_.begin(), over.entries_.end());
  return t;
}

uint64_t TuningTable::fingerprint() const {
  uint64_t h = kFnvBasis;  // over a canonical rendering
  auto mix = [&](std::string_view s) { h = fnv1a(s, h); };
  char buf[128];
  for (const TuningEntry& e : entries_) {
    std::snprintf(buf, sizeof(buf), "%d %d %zu %zu %.17g %.17g|", int(e.kind), e.nranks, e.lo, e.hi, e.alphaUs,
                  e.betaNsPerByte);
    mix(e.algorithm);
    mix(" ");
    mix(e.transport);
    mix(buf);
  }
  return h;
}

}  // namespace weft::coll
