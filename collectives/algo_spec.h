// SPDX-License-Identifier: Apache-2.0
// WEFT_ALGO, parsed once: which algorithm a user forces for a collective at a message size.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collectives/algorithm.h"

namespace weft::coll {

// "allreduce" -> CollKind::AllReduce (the names of collName()); nullopt for others.
std::optional<CollKind> kindNamed(std::string_view name);
// "64K" -> 65536 (K, M, G are powers of 1024; "inf" is SIZE_MAX); nullopt if it does not parse.
std::optional<size_t> parseByteSize(std::string_view s);

// Grammar (docs/env.md): rules separated by ',' or ';'; a rule is [kind ':'] [range '='] name,
// where a kind prefix applies to it and to the rules after it, and range is '*' or LO-HI in
// bytes (K, M, G suffixes; HI may be 'inf'), LO inclusive, HI exclusive. Examples:
//   "ring"  "allreduce:ring,broadcast:tree"  "allreduce:0-64K=tree,64K-inf=ring;broadcast:*=chain"
// A rule without a kind applies to every collective that has an algorithm of that name.
// Immutable after parse: thread-safe.
class AlgoSpec {
 public:
  // Throws InvalidArgument naming the part that does not parse or names no algorithm.
  static AlgoSpec parse(std::string_view spec);

  // The algorithm forced for `kind` at `bytes` (count times element size), or empty. The last
  // matching rule wins.
  std::string_view forced(CollKind kind, size_t bytes) const;

 private:
  struct Rule {
    bool anyKind;
    CollKind kind;
    size_t lo, hi;  // [lo, hi)
    std::string name;
  };
  std::vector<Rule> rules_;
};

}  // namespace weft::coll
