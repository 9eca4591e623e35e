// SPDX-License-Identifier: Apache-2.0
// The list of algorithms and the choice among them for one call.
#pragma once

#include <span>
#include <string_view>

#include "collectives/algo_spec.h"
#include "collectives/algorithm.h"
#include "collectives/tuner/tuner.h"

namespace weft::coll {

// Each algorithm file defines one of these.
const Algorithm& ringAllReduce();
const Algorithm& halvingDoublingAllReduce();
const Algorithm& recursiveDoublingAllReduce();
const Algorithm& directAllReduce();
const Algorithm& directAllGather();
const Algorithm& sharedAllReduce();
const Algorithm& sharedAllGather();
const Algorithm& sharedBroadcast();
const Algorithm& stagedBroadcast();
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
const Algorithm& treeReduce();
const Algorithm& recursiveDoublingAllGather();
const Algorithm& bruckAllGather();
const Algorithm& recursiveHalvingReduceScatter();
const Algorithm& treeScatter();
const Algorithm& treeGather();
const Algorithm& treeAllReduce();
const Algorithm& hierarchicalAllReduce();
const Algorithm& hierarchicalBroadcast();

// Every algorithm, in order of preference per kind.
std::span<const Algorithm* const> algorithms();

// The algorithm for one call and the reason it was chosen.
struct Selection {
  enum class Why { Forced, ForcedDeclined, Tuned, Default };
  const Algorithm* algorithm;
  Why why;
  const Algorithm* fallback = nullptr;  // for Context::fallback, when `algorithm` hands off
};

// The algorithm for this call: the one `spec` (WEFT_ALGO) forces when it supports the call,
// otherwise the tuner's choice, otherwise the first of its kind that supports it.
Selection selectAlgorithm(const CollArgs& args, const Context& ctx, const AlgoSpec& spec, const Tuner& tuner);

}  // namespace weft::coll
