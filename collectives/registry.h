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
const Algorithm& treeBroadcast();
const Algorithm& chainReduce();
const Algorithm& ringAllGather();
const Algorithm& ringReduceScatter();
const Algorithm& pairwiseAllToAll();
const Algorithm& linearScatter();
const Algorithm& linearGather();
const Algorithm& p2pSend();
const Algorithm& p2pRecv();
const Algorithm& disseminationBarrier();

// Every algorithm, in order of preference per kind.
std::span<const Algorithm* const> algorithms();

// The algorithm for this call: the one `spec` forces (WEFT_ALGO: "name" or "kind:name",
// comma-separated, e.g. "allreduce:ring,broadcast:chain") when it supports the call, otherwise
// the first that does. Throws InvalidArgument for a name no algorithm has.
const Algorithm& selectAlgorithm(const CollArgs& args, const Context& ctx, std::string_view spec = {});

}  // namespace weft::coll
