// SPDX-License-Identifier: Apache-2.0
// Names and sizes of the datatypes and reduction ops of the perf tools.
#include "bench/common/dtype.h"

#include <stdexcept>
#include <string>

namespace weft::bench {
namespace {

struct TypeInfo {
  std::string_view name;
  size_t size;
};

// Indexed by weftDataType_t (the enum is dense from 0).
constexpr std::array<TypeInfo, weftNumTypes> kTypeInfo = {{
    {"int8", 1},  {"uint8", 1}, {"int32", 4}, {"uint32", 4},  {"int64", 8},
    {"uint64", 8}, {"half", 2},  {"float", 4}, {"double", 8}, {"bfloat16", 2},
}};

constexpr std::array<std::string_view, weftNumOps> kOpNames = {"sum", "prod", "max", "min",
                                                              "avg"};

size_t typeIndex(weftDataType_t type) {
  const auto i = static_cast<size_t>(type);
  if (i >= kTypeInfo.size()) throw std::out_of_range("unknown datatype " + std::to_string(i));
  return i;
}

}  // namespace

std::string_view typeName(weftDataType_t type) { return kTypeInfo[typeIndex(type)].name; }

size_t elementSize(weftDataType_t type) { return kTypeInfo[typeIndex(type)].size; }

std::string_view opName(weftRedOp_t op) {
  const auto i = static_cast<size_t>(op);
  if (i >= kOpNames.size()) throw std::out_of_range("unknown reduction op " + std::to_string(i));
  return kOpNames[i];
}

std::optional<weftDataType_t> typeFromName(std::string_view name) {
  for (weftDataType_t type : kAllTypes) {
    if (typeName(type) == name) return type;
  }
  return std::nullopt;
}

std::optional<weftRedOp_t> opFromName(std::string_view name) {
  for (weftRedOp_t op : kAllOps) {
    if (opName(op) == name) return op;
  }
  return std::nullopt;
}

}  // namespace weft::bench
