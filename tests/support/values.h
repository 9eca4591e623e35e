// SPDX-License-Identifier: Apache-2.0
// Test values: exact conversions between double and every weft datatype's bytes, and the
// per-rank input patterns whose reductions are exact (so results compare with ==).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "runtime/weft.h"

namespace weft::test {

size_t elementSize(weftDataType_t t);
const char* typeName(weftDataType_t t);
bool isSigned(weftDataType_t t);
bool isFloat(weftDataType_t t);

// Writes v (an integer that the type represents exactly) as element i of buf.
void store(weftDataType_t t, void* buf, size_t i, double v);
// Reads element i as a double (exact for every value of every type).
double load(weftDataType_t t, const void* buf, size_t i);
// v narrowed the way the type wraps (integers: modulo 2^bits); floats unchanged.
double wrap(weftDataType_t t, double v);

// Input of `rank` at element i for op (values chosen so that results are exact, see values.cc).
double input(weftRedOp_t op, weftDataType_t t, int rank, size_t i);
// The exact expected result at element i over `nranks` ranks.
double expected(weftRedOp_t op, weftDataType_t t, int nranks, size_t i);

inline constexpr weftDataType_t kAllTypes[] = {weftInt8, weftUint8, weftInt32, weftUint32, weftInt64,
                                               weftUint64, weftFloat16, weftFloat32, weftFloat64, weftBfloat16};
inline constexpr weftRedOp_t kAllOps[] = {weftSum, weftProd, weftMax, weftMin, weftAvg};

}  // namespace weft::test
