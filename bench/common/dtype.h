// SPDX-License-Identifier: Apache-2.0
// Names, sizes and lists of the datatypes and reduction ops the perf tools sweep, spelled as nccl-tests spells them.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string_view>

#include "runtime/weft.h"

namespace weft::bench {

// The order of `-d all` and `-o all`: the order of the enums, which is also nccl-tests' order.
inline constexpr std::array<weftDataType_t, weftNumTypes> kAllTypes = {
    weftInt8,    weftUint8,   weftInt32,   weftUint32,  weftInt64,
    weftUint64,  weftFloat16, weftFloat32, weftFloat64, weftBfloat16};
inline constexpr std::array<weftRedOp_t, weftNumOps> kAllOps = {weftSum, weftProd, weftMax,
                                                               weftMin, weftAvg};

// "int8", "uint8", "int32", "uint32", "int64", "uint64", "half", "float", "double", "bfloat16".
std::string_view typeName(weftDataType_t type);
// "sum", "prod", "max", "min", "avg".
std::string_view opName(weftRedOp_t op);
// Bytes per element: 1, 2, 4 or 8.
size_t elementSize(weftDataType_t type);

// The inverse of typeName / opName; nullopt for anything else ("all" is the caller's business).
std::optional<weftDataType_t> typeFromName(std::string_view name);
std::optional<weftRedOp_t> opFromName(std::string_view name);

}  // namespace weft::bench
