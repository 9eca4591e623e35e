// SPDX-License-Identifier: Apache-2.0
// Datatypes and reduction operators, numbered as weft.h numbers them (and as NCCL does).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace weft::coll {

enum class DataType : int {
  Int8 = 0, Uint8 = 1, Int32 = 2, Uint32 = 3, Int64 = 4, Uint64 = 5,
  Float16 = 6, Float32 = 7, Float64 = 8, Bfloat16 = 9,
};
inline constexpr int kNumDataTypes = 10;

enum class ReduceOp : int { Sum = 0, Prod = 1, Max = 2, Min = 3, Avg = 4 };
inline constexpr int kNumReduceOps = 5;

// std::nullopt for values outside the enums (bad input from the C API). Inline: every call
// checks its datatype, and an out-of-line std::optional<enum> comes back through the stack as a
// narrow store read by a wide load, a store-forwarding miss that waits for the store buffer to
// drain, including the previous call's stores into a peer's FIFO (Note [Stores on the hot path]).
inline std::optional<DataType> toDataType(int value) {
  if (value < 0 || value >= kNumDataTypes) return std::nullopt;
  return static_cast<DataType>(value);
}
inline std::optional<ReduceOp> toReduceOp(int value) {
  if (value < 0 || value >= kNumReduceOps) return std::nullopt;
  return static_cast<ReduceOp>(value);
}

size_t dtypeSize(DataType dt);        // throws InvalidArgument outside the enum
const char* dtypeName(DataType dt);   // "int8", ..., "float", "double", "half", "bfloat16"
const char* opName(ReduceOp op);      // "sum", "prod", "max", "min", "avg"
// dtypeName/opName return "unknown" outside the enums: they feed error messages and never throw.

}  // namespace weft::coll
