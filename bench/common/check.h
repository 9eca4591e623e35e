// SPDX-License-Identifier: Apache-2.0
// Deterministic per-rank input patterns whose reduced result is exact in every datatype, and the comparison that counts wrong elements.
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/weft.h"

namespace weft::bench {

// What a check fills for. The values depend on all four fields, so every rank must agree on them.
struct CheckSpec {
  weftDataType_t type = weftFloat32;
  // The reduction the inputs are drawn for; see Note [Exact check values]. Collectives that
  // only move data use copySpec() below.
  weftRedOp_t op = weftSum;
  int nranks = 1;
  uint64_t seed = 0;
};

// The spec of collectives that only move data (broadcast, all-gather, scatter, ...): values span
// the type's whole exact range (the max/min pattern), and element i of rank r is a function of
// (seed, r, i) alone, so a block from the wrong rank or the wrong offset shows.
inline CheckSpec copySpec(CheckSpec spec) {
  spec.op = weftMax;
  return spec;
}

// Writes elements first .. first+count-1 of rank `rank`'s input, in spec.type, into buf.
void fillInput(const CheckSpec& spec, int rank, void* buf, size_t count, size_t first = 0);

// Writes, for each rank j of spec.nranks, elements first .. first+block-1 of rank j's input as
// block j of buf (block elements each): what a gather of those slices must produce.
void fillGathered(const CheckSpec& spec, void* buf, size_t block, size_t first = 0);

// Writes elements first .. first+count-1 of the all-reduce result of the inputs of ranks
// 0..nranks-1 under spec.op into buf.
void fillReduced(const CheckSpec& spec, void* buf, size_t count, size_t first = 0);

// How many of the `count` elements of got differ from want (floats compare by value, so a NaN
// is always wrong and -0 equals +0). *firstWrong gets the index of the first one, if asked.
size_t countWrong(weftDataType_t type, const void* got, const void* want, size_t count,
                  size_t* firstWrong = nullptr);

// Element i of buf as a long double: exact for every value the fill functions produce.
long double elementValue(weftDataType_t type, const void* buf, size_t i);

// Stores value (rounded to nearest, through float for half and bfloat16) as element i of buf.
void setElement(weftDataType_t type, void* buf, size_t i, long double value);

// The largest M such that every integer in [-M, M] ([0, M] for unsigned types) is exact.
int64_t maxExactInteger(weftDataType_t type);

}  // namespace weft::bench
