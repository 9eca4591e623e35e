// SPDX-License-Identifier: Apache-2.0
// Parser of the WEFT_ALGO grammar.
#include "collectives/algo_spec.h"

#include <cctype>
#include <cstdint>
#include <optional>

#include "collectives/registry.h"
#include "common/error.h"

namespace weft::coll {

std::optional<CollKind> kindNamed(std::string_view s) {
  for (const Algorithm* a : algorithms()) {
    if (s == collName(a->kind())) return a->kind();
  }
  return std::nullopt;
}

std::optional<size_t> parseByteSize(std::string_view s) {
  if (s == "inf") return SIZE_MAX;
  size_t mult = 1;
  if (!s.empty()) {
    switch (std::toupper(static_cast<unsigned char>(s.back()))) {
      case 'K': mult = size_t(1) << 10; break;
      case 'M': mult = size_t(1) << 20; break;
      case 'G': mult = size_t(1) << 30; break;
      default: break;
    }
    if (mult != 1) s.remove_suffix(1);
  }
  if (s.empty() || s.size() > 15) return std::nullopt;
  size_t v = 0;
  for (char c : s) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    v = v * 10 + size_t(c - '0');
  }
  return v * mult;
}

AlgoSpec AlgoSpec::parse(std::string_view spec) {
  AlgoSpec out;
  std::optional<CollKind> kind;  // from the last "kind:" prefix
  size_t pos = 0;
  while (pos < spec.size()) {
    const size_t end = std::min(spec.find_first_of(",;", pos), spec.size());
    std::string_view rule = spec.substr(pos, end - pos);
    pos = end + 1;
    if (rule.empty()) continue;
    auto bad = [&](const std::string& why) {
      return InvalidArgument("WEFT_ALGO='" + std::string(spec) + "': '" + std::string(rule) + "' " + why);
    };
    if (const size_t colon = rule.find(':'); colon != std::string_view::npos) {
      kind = kindNamed(rule.substr(0, colon));
      if (!kind) throw bad("does not start with a collective (allreduce, broadcast, ...)");
      rule.remove_prefix(colon + 1);
    }
    Rule r{!kind.has_value(), kind.value_or(CollKind::AllReduce), 0, SIZE_MAX, {}};
    if (const size_t eq = rule.find('='); eq != std::string_view::npos) {
      const std::string_view range = rule.substr(0, eq);
      if (range != "*") {
        const size_t dash = range.find('-');
        const auto lo = dash == std::string_view::npos ? std::nullopt : parseByteSize(range.substr(0, dash));
        const auto hi = dash == std::string_view::npos ? std::nullopt : parseByteSize(range.substr(dash + 1));
        if (!lo || !hi || *lo >= *hi) throw bad("has no valid size range (LO-HI or *)");
        r.lo = *lo;
        r.hi = *hi;
      }
      rule.remove_prefix(eq + 1);
    }
    r.name = std::string(rule);
    bool known = false;
    for (const Algorithm* a : algorithms()) {
      known = known || (a->name() == r.name && (r.anyKind || a->kind() == r.kind));
    }
    if (!known) throw bad("names no algorithm" + std::string(r.anyKind ? "" : std::string(" of ") + collName(r.kind)));
    out.rules_.push_back(std::move(r));
  }
  return out;
}

std::string_view AlgoSpec::forced(CollKind kind, size_t bytes) const {
  std::string_view chosen;
  for (const Rule& r : rules_) {
    if (bytes < r.lo || bytes >= r.hi) continue;
    if (!r.anyKind && r.kind != kind) continue;
    if (r.anyKind) {
      bool exists = false;
      for (const Algorithm* a : algorithms()) exists = exists || (a->kind() == kind && a->name() == r.name);
      if (!exists) continue;
    }
    chosen = r.name;
  }
  return chosen;
}

}  // namespace weft::coll
