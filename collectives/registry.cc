// SPDX-License-Identifier: Apache-2.0
// Algorithm list and selection.
#include "collectives/registry.h"

#include <array>
#include <string>

#include "common/error.h"

namespace weft::coll {

std::span<const Algorithm* const> algorithms() {
  static const std::array<const Algorithm*, 2> all = {&ringAllReduce(), &chainBroadcast()};
  return all;
}

const Algorithm& selectAlgorithm(const CollArgs& args, const Context& ctx, std::string_view forced) {
  const Algorithm* first = nullptr;
  bool forcedExists = forced.empty();
  for (const Algorithm* a : algorithms()) {
    if (a->kind() != args.kind) continue;
    if (!forced.empty() && a->name() == forced) {
      forcedExists = true;
      if (a->supports(args, ctx)) return *a;
    }
    if (!first && a->supports(args, ctx)) first = a;
  }
  if (!forcedExists) {
    throw InvalidArgument("no " + std::string(collName(args.kind)) + " algorithm named '" +
                          std::string(forced) + "'");
  }
  WEFT_CHECK(first != nullptr, std::string("no algorithm supports ") + describe(args));
  return *first;
}

}  // namespace weft::coll
