// SPDX-License-Identifier: Apache-2.0
// Names and sizes of the datatypes and reduction operators, from one table each.
#include "collectives/kernels/dtype.h"

#include <array>
#include <string>

#include "common/error.h"

namespace weft::coll {
namespace {

struct DtypeInfo {
  const char* name;  // as nccl-tests prints it
  size_t size;
};

// Indexed by DataType; the static_asserts below keep the order honest.
constexpr std::array<DtypeInfo, kNumDataTypes> kDtypes = {{
    {"int8", 1},
    {"uint8", 1},
    {"int32", 4},
    {"uint32", 4},
    {"int64", 8},
    {"uint64", 8},
    {"half", 2},
    {"float", 4},
    {"double", 8},
    {"bfloat16", 2},
}};
static_assert(kDtypes[static_cast<int>(DataType::Float16)].size == 2);
static_assert(kDtypes[static_cast<int>(DataType::Float64)].size == sizeof(double));
static_assert(kDtypes[static_cast<int>(DataType::Bfloat16)].size == 2);

// Indexed by ReduceOp.
constexpr std::array<const char*, kNumReduceOps> kOpNames = {"sum", "prod", "max", "min", "avg"};

bool validDtype(DataType dt) {
  return static_cast<int>(dt) >= 0 && static_cast<int>(dt) < kNumDataTypes;
}

}  // namespace

size_t dtypeSize(DataType dt) {
  if (!validDtype(dt)) {
    throw InvalidArgument("unknown datatype " + std::to_string(static_cast<int>(dt)));
  }
  return kDtypes[static_cast<int>(dt)].size;
}

const char* dtypeName(DataType dt) {
  return validDtype(dt) ? kDtypes[static_cast<int>(dt)].name : "unknown";
}

const char* opName(ReduceOp op) {
  const int i = static_cast<int>(op);
  return i >= 0 && i < kNumReduceOps ? kOpNames[i] : "unknown";
}

}  // namespace weft::coll
