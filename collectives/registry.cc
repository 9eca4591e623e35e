// SPDX-License-Identifier: Apache-2.0
// Algorithm list and selection.
#include "collectives/registry.h"

#include <algorithm>
#include <array>
#include <string>

#include "common/error.h"

namespace weft::coll {

std::span<const Algorithm* const> algorithms() {
  static const std::array all = {
      &ringAllReduce(),    &chainBroadcast(), &chainReduce(), &ringAllGather(), &ringReduceScatter(),
      &pairwiseAllToAll(), &linearScatter(),  &linearGather(), &p2pSend(),      &p2pRecv(),
      &disseminationBarrier(), &treeBroadcast(),
  };
  return all;
}

namespace {

// The algorithm name that `spec` (WEFT_ALGO: "name" or "kind:name", comma-separated) forces
// for `kind`; empty when it forces none. Throws InvalidArgument for names that exist nowhere.
std::string forcedName(std::string_view spec, CollKind kind) {
  std::string chosen;
  size_t pos = 0;
  while (pos <= spec.size() && !spec.empty()) {
    const size_t comma = std::min(spec.find(',', pos), spec.size());
    std::string_view entry = spec.substr(pos, comma - pos);
    pos = comma + 1;
    if (entry.empty()) continue;
    std::string_view onlyKind;
    if (const size_t colon = entry.find(':'); colon != std::string_view::npos) {
      onlyKind = entry.substr(0, colon);
      entry = entry.substr(colon + 1);
    }
    bool known = false, fits = false;
    for (const Algorithm* a : algorithms()) {
      if (a->name() != entry || (!onlyKind.empty() && onlyKind != collName(a->kind()))) continue;
      known = true;
      fits = fits || a->kind() == kind;
    }
    if (!known) throw InvalidArgument("WEFT_ALGO names no algorithm '" + std::string(spec) + "'");
    if (fits) chosen = entry;
  }
  return chosen;
}

}  // namespace

const Algorithm& selectAlgorithm(const CollArgs& args, const Context& ctx, std::string_view spec) {
  const std::string forced = forcedName(spec, args.kind);
  const Algorithm* first = nullptr;
  for (const Algorithm* a : algorithms()) {
    if (a->kind() != args.kind || !a->supports(args, ctx)) continue;
    if (!forced.empty() && a->name() == forced) return *a;
    if (!first) first = a;
  }
  WEFT_CHECK(first != nullptr, std::string("no algorithm supports ") + describe(args));
  return *first;
}

}  // namespace weft::coll
