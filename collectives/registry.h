// SPDX-License-Identifier: Apache-2.0
// The list of algorithms and the choice among them for one call.
#pragma once

#include <span>
#include <string_view>

#include "collectives/algorithm.h"

namespace weft::coll {

// Each algorithm file defines one of these.
const Algorithm& ringAllReduce();
const Algorithm& chainBroadcast();

// Every algorithm, in order of preference per kind.
std::span<const Algorithm* const> algorithms();

// The algorithm for this call: `forced` (a name, from WEFT_ALGO) when it supports the call,
// otherwise the first that does. Throws InvalidArgument for a forced name that does not exist.
const Algorithm& selectAlgorithm(const CollArgs& args, const Context& ctx, std::string_view forced = {});

}  // namespace weft::coll
