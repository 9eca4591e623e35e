// SPDX-License-Identifier: Apache-2.0
// Tests that the check patterns reduce exactly in every datatype, whatever the order, and that mismatches are counted.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

#include "bench/common/check.h"
#include "bench/common/dtype.h"

using namespace weft::bench;

namespace {

using Bytes = std::vector<std::byte>;

Bytes buffer(weftDataType_t type, size_t count) { return Bytes(count * elementSize(type)); }

// x op y, rounded to the type by storing it (so an overflow wraps and an inexact float rounds).
long double combine(weftDataType_t type, weftRedOp_t op, long double x, long double y) {
  long double exact = 0;
  switch (op) {
    case weftProd: exact = x * y; break;
    case weftMax: exact = std::max(x, y); break;
    case weftMin: exact = std::min(x, y); break;
    default: exact = x + y; break;
  }
  Bytes slot = buffer(type, 1);
  setElement(type, slot.data(), 0, exact);
  return elementValue(type, slot.data(), 0);
}

// The reduction as a library might do it: in the type's own precision, ranks in `order`.
Bytes reduceInType(weftDataType_t type, weftRedOp_t op, const std::vector<Bytes>& inputs,
                   const std::vector<int>& order, size_t count) {
  Bytes out = buffer(type, count);
  for (size_t i = 0; i < count; ++i) {
    long double acc = elementValue(type, inputs[order[0]].data(), i);
    for (size_t k = 1; k < order.size(); ++k) {
      acc = combine(type, op, acc, elementValue(type, inputs[order[k]].data(), i));
    }
    if (op == weftAvg) acc /= static_cast<long double>(order.size());
    setElement(type, out.data(), i, acc);
  }
  return out;
}

}  // namespace

TEST_CASE("exact integer limits per datatype", "[bench][check]") {
  CHECK(maxExactInteger(weftInt8) == 127);
  CHECK(maxExactInteger(weftUint8) == 255);
  CHECK(maxExactInteger(weftFloat16) == 2048);
  CHECK(maxExactInteger(weftBfloat16) == 256);
  CHECK(maxExactInteger(weftFloat32) == (int64_t{1} << 24));
  CHECK(maxExactInteger(weftFloat64) == (int64_t{1} << 53));
  CHECK(maxExactInteger(weftInt32) == 2147483647);
}

TEST_CASE("check patterns reduce exactly in every datatype and order", "[bench][check]") {
  const auto type = GENERATE(from_range(kAllTypes.begin(), kAllTypes.end()));
  const auto op = GENERATE(from_range(kAllOps.begin(), kAllOps.end()));
  const int nranks = GENERATE(1, 2, 3, 4, 5, 8, 13);
  const size_t count = 777;
  CAPTURE(typeName(type), opName(op), nranks);
  const CheckSpec spec{.type = type, .op = op, .nranks = nranks, .seed = 42};

  std::vector<Bytes> inputs;
  for (int r = 0; r < nranks; ++r) {
    inputs.push_back(buffer(type, count));
    fillInput(spec, r, inputs.back().data(), count);
    for (size_t i = 0; i < count; ++i) {  // inputs are integers within the exact range
      const long double v = elementValue(type, inputs.back().data(), i);
      REQUIRE(v == std::trunc(v));
      REQUIRE(std::fabs(v) <= static_cast<long double>(maxExactInteger(type)));
    }
  }
  Bytes expected = buffer(type, count);
  fillReduced(spec, expected.data(), count);

  std::vector<int> forward(static_cast<size_t>(nranks));
  std::iota(forward.begin(), forward.end(), 0);
  std::vector<int> backward(forward.rbegin(), forward.rend());
  std::vector<int> shuffled = forward;  // odd ranks first, then even: yet another order
  std::stable_partition(shuffled.begin(), shuffled.end(), [](int r) { return r % 2 == 1; });
  for (const auto& order : {forward, backward, shuffled}) {
    const Bytes got = reduceInType(type, op, inputs, order, count);
    REQUIRE(countWrong(type, got.data(), expected.data(), count) == 0);
  }

  // The result is not a constant: a misplaced chunk would show.
  size_t distinct = 0;
  for (size_t i = 1; i < count; ++i) {
    if (elementValue(type, expected.data(), i) != elementValue(type, expected.data(), 0)) ++distinct;
  }
  if (op == weftProd || nranks <= 8 || elementSize(type) > 1) CHECK(distinct > count / 4);
}

TEST_CASE("ranks get different inputs and seeds give different inputs", "[bench][check]") {
  const auto type = GENERATE(from_range(kAllTypes.begin(), kAllTypes.end()));
  const size_t count = 256;
  const CheckSpec spec{.type = type, .op = weftSum, .nranks = 4, .seed = 1};
  Bytes a = buffer(type, count), b = buffer(type, count), c = buffer(type, count);
  fillInput(spec, 0, a.data(), count);
  fillInput(spec, 1, b.data(), count);
  CHECK(countWrong(type, a.data(), b.data(), count) > count / 2);
  CheckSpec reseeded = spec;
  reseeded.seed = 2;
  fillInput(reseeded, 0, c.data(), count);
  CHECK(countWrong(type, a.data(), c.data(), count) > count / 2);
  fillInput(spec, 0, c.data(), count);  // deterministic
  CHECK(countWrong(type, a.data(), c.data(), count) == 0);
}

TEST_CASE("countWrong finds each wrong element", "[bench][check]") {
  const auto type = GENERATE(from_range(kAllTypes.begin(), kAllTypes.end()));
  const size_t count = 100;
  const CheckSpec spec{.type = type, .op = weftMax, .nranks = 3, .seed = 7};
  Bytes want = buffer(type, count);
  fillReduced(spec, want.data(), count);
  Bytes got = want;
  size_t first = 0;
  CHECK(countWrong(type, got.data(), want.data(), count, &first) == 0);
  setElement(type, got.data(), 42, elementValue(type, want.data(), 42) + 1);
  setElement(type, got.data(), 97, elementValue(type, want.data(), 97) - 1);
  CHECK(countWrong(type, got.data(), want.data(), count, &first) == 2);
  CHECK(first == 42);
  CHECK(countWrong(type, got.data(), want.data(), 42) == 0);  // only the first 42 elements
}

TEST_CASE("a missing rank is detected", "[bench][check]") {
  const auto op = GENERATE(from_range(kAllOps.begin(), kAllOps.end()));
  const int nranks = 4;
  const size_t count = 500;
  const CheckSpec spec{.type = weftFloat32, .op = op, .nranks = nranks, .seed = 3};
  std::vector<Bytes> inputs;
  for (int r = 0; r < nranks; ++r) {
    inputs.push_back(buffer(weftFloat32, count));
    fillInput(spec, r, inputs.back().data(), count);
  }
  inputs[3] = inputs[2];  // rank 3's data replaced by rank 2's
  Bytes expected = buffer(weftFloat32, count);
  fillReduced(spec, expected.data(), count);
  const Bytes got = reduceInType(weftFloat32, op, inputs, {0, 1, 2, 3}, count);
  CHECK(countWrong(weftFloat32, got.data(), expected.data(), count) > count / 20);
}

TEST_CASE("slices of the patterns: offsets and gathered blocks", "[bench][check]") {
  const auto type = GENERATE(from_range(kAllTypes.begin(), kAllTypes.end()));
  const auto op = GENERATE(from_range(kAllOps.begin(), kAllOps.end()));
  const int nranks = 3;
  const size_t block = 50, all = block * nranks;
  const CheckSpec spec{.type = type, .op = op, .nranks = nranks, .seed = 11};
  const size_t bytes = block * elementSize(type);
  Bytes whole = buffer(type, all), slice = buffer(type, block);
  // Element first + i of a rank's input or of the reduction, whatever the offset.
  fillInput(spec, 1, whole.data(), all);
  fillInput(spec, 1, slice.data(), block, 2 * block);
  CHECK(countWrong(type, slice.data(), whole.data() + 2 * bytes, block) == 0);
  fillReduced(spec, whole.data(), all);
  fillReduced(spec, slice.data(), block, block);
  CHECK(countWrong(type, slice.data(), whole.data() + bytes, block) == 0);
  // Block j of a gathered buffer is rank j's slice.
  Bytes gathered = buffer(type, all);
  fillGathered(spec, gathered.data(), block, block);
  for (int j = 0; j < nranks; ++j) {
    fillInput(spec, j, slice.data(), block, block);
    CHECK(countWrong(type, gathered.data() + j * bytes, slice.data(), block) == 0);
  }
  // A block from the wrong rank does not pass (the data-movement checks rely on it).
  fillInput(copySpec(spec), 0, slice.data(), block);
  fillInput(copySpec(spec), 1, whole.data(), block);
  CHECK(countWrong(type, slice.data(), whole.data(), block) > block / 2);
}
