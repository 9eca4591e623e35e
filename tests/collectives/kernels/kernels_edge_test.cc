// SPDX-License-Identifier: Apache-2.0
// Hand-picked reduce cases: rounding ties, overflow, NaN, integer wrap-around, errors, dtypes.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#include "collectives/kernels/reduce.h"
#include "common/error.h"
#include "tests/collectives/kernels/isa_guard.h"

namespace weft::coll::test {
namespace {

// a (op) b elementwise through the kernels, as one call of the given length.
template <class T>
std::vector<T> run(ReduceOp op, DataType dt, const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<T> out(a.size());
  reduce::apply(op, dt, out.data(), a.data(), b.data(), a.size());
  return out;
}

template <class T>
std::vector<T> divided(DataType dt, std::vector<T> v, int divisor) {
  reduce::divide(dt, v.data(), v.size(), divisor);
  return v;
}

using V16 = std::vector<uint16_t>;
constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

bool isHalfNan(uint16_t h) { return (h & 0x7C00u) == 0x7C00u && (h & 0x03FFu) != 0; }
bool isBfloatNan(uint16_t h) { return (h & 0x7F80u) == 0x7F80u && (h & 0x007Fu) != 0; }

}  // namespace

TEST_CASE("fp16 rounds exact ties to even and overflows to infinity", "[kernels]") {
  ForcedIsa isa(GENERATE(from_range(kLevels)));
  if (!isa.ok()) return;
  // 0x3C00 = 1, 0x3C01 = 1 + 2^-10, 0x1000 = 2^-11: each sum lies exactly between two halves.
  // 0x7BFF = 65504 (max, odd mantissa), 0x4C00 = 16, 0x4800 = 8.
  // Products: 0x0001 = 2^-24 (smallest subnormal), 0x0003 = 3 * 2^-24, 0x3800 = 0.5.
  const V16 a{0x3C00, 0x3C01, 0xBC00, 0x7BFF, 0x7BFF, 0xFBFF, 0x7BFF};
  const V16 b{0x1000, 0x1000, 0x9000, 0x4C00, 0x4800, 0xCC00, 0x7BFF};
  CHECK(run(ReduceOp::Sum, DataType::Float16, a, b) ==
        V16{0x3C00, 0x3C02, 0xBC00, 0x7C00, 0x7BFF, 0xFC00, 0x7C00});
  CHECK(run(ReduceOp::Prod, DataType::Float16, V16{0x0001, 0x0003, 0x8003},
            V16{0x3800, 0x3800, 0x3800}) == V16{0x0000, 0x0002, 0x8002});
  // Overflow by product, and the largest finite value survives max.
  CHECK(run(ReduceOp::Prod, DataType::Float16, V16{0x5C00}, V16{0x5C00}) ==
        V16{0x7C00});  // 256*256
  CHECK(run(ReduceOp::Max, DataType::Float16, V16{0x7BFF}, V16{0xFC00}) == V16{0x7BFF});
}

TEST_CASE("bf16 rounds exact ties to even and overflows to infinity", "[kernels]") {
  ForcedIsa isa(GENERATE(from_range(kLevels)));
  if (!isa.ok()) return;
  // 0x3F80 = 1, 0x3F81 = 1 + 2^-7, 0x3B80 = 2^-8: exact ties. 0x7F7F = max finite (odd);
  // 0x7B00 = 2^119 puts the sum exactly halfway to 2^128, so it rounds (to even) to infinity.
  const V16 a{0x3F80, 0x3F81, 0xBF80, 0x7F7F, 0x7F7F, 0x7F7F};
  const V16 b{0x3B80, 0x3B80, 0xBB80, 0x7B00, 0x7A80, 0x7F7F};
  CHECK(run(ReduceOp::Sum, DataType::Bfloat16, a, b) ==
        V16{0x3F80, 0x3F82, 0xBF80, 0x7F80, 0x7F7F, 0x7F80});
  // 2^-133 (smallest subnormal) * 0.5 ties to 0; 3 * 2^-133 * 0.5 ties up to 2 * 2^-133.
  CHECK(run(ReduceOp::Prod, DataType::Bfloat16, V16{0x0001, 0x0003}, V16{0x3F00, 0x3F00}) ==
        V16{0x0000, 0x0002});
}

TEST_CASE("NaN propagates through sum, prod, max and min from either side", "[kernels]") {
  ForcedIsa isa(GENERATE(from_range(kLevels)));
  if (!isa.ok()) return;
  const ReduceOp op = GENERATE(ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min);
  CAPTURE(opName(op));
  const std::vector<double> a{kNan, 1.0, kNan, -kInf, kInf};
  const std::vector<double> b{1.0, kNan, kInf, kNan, -kInf};
  const auto d = run(op, DataType::Float64, a, b);
  for (size_t i = 0; i < 4; ++i) CHECK(std::isnan(d[i]));
  const auto f = run(op, DataType::Float32, std::vector<float>(a.begin(), a.end()),
                     std::vector<float>(b.begin(), b.end()));
  for (size_t i = 0; i < 4; ++i) CHECK(std::isnan(f[i]));
  // inf + -inf and inf * -inf: only the sum is NaN.
  CHECK(std::isnan(d[4]) == (op == ReduceOp::Sum));
  // fp16: 0x7E00 NaN, 0x3C00 = 1, 0x7C00 inf; bf16: 0x7FC0 NaN, 0x3F80 = 1, 0x7F80 inf.
  const auto h =
      run(op, DataType::Float16, V16{0x7E00, 0x3C00, 0x7C00}, V16{0x3C00, 0x7E00, 0xFC00});
  CHECK(isHalfNan(h[0]));
  CHECK(isHalfNan(h[1]));
  CHECK(isHalfNan(h[2]) == (op == ReduceOp::Sum));
  const auto g =
      run(op, DataType::Bfloat16, V16{0x7FC0, 0x3F80, 0x7F80}, V16{0x3F80, 0xFFC1, 0xFF80});
  CHECK(isBfloatNan(g[0]));
  CHECK(isBfloatNan(g[1]));
  CHECK(isBfloatNan(g[2]) == (op == ReduceOp::Sum));
}

TEST_CASE("integer sum and prod wrap around", "[kernels]") {
  ForcedIsa isa(GENERATE(from_range(kLevels)));
  if (!isa.ok()) return;
  using i8 = std::vector<int8_t>;
  CHECK(run(ReduceOp::Sum, DataType::Int8, i8{100, -100, 127, -128}, i8{100, -100, 1, -1}) ==
        i8{-56, 56, -128, 127});
  CHECK(run(ReduceOp::Prod, DataType::Int8, i8{16, -128, 100, -7}, i8{16, -1, 3, 19}) ==
        i8{0, -128, 44, 123});
  using u8 = std::vector<uint8_t>;
  CHECK(run(ReduceOp::Sum, DataType::Uint8, u8{200, 255}, u8{100, 1}) == u8{44, 0});
  CHECK(run(ReduceOp::Prod, DataType::Uint8, u8{16, 255}, u8{16, 255}) == u8{0, 1});
  using i32 = std::vector<int32_t>;
  constexpr int32_t kMax32 = std::numeric_limits<int32_t>::max(),
                    kMin32 = std::numeric_limits<int32_t>::min();
  CHECK(run(ReduceOp::Sum, DataType::Int32, i32{kMax32, kMin32}, i32{1, -1}) ==
        i32{kMin32, kMax32});
  CHECK(run(ReduceOp::Prod, DataType::Int32, i32{65536, kMin32, 65537}, i32{65536, -1, 65537}) ==
        i32{0, kMin32, 131073});
  using i64 = std::vector<int64_t>;
  constexpr int64_t kMax64 = std::numeric_limits<int64_t>::max(),
                    kMin64 = std::numeric_limits<int64_t>::min();
  CHECK(run(ReduceOp::Sum, DataType::Int64, i64{kMax64, kMin64}, i64{1, -1}) ==
        i64{kMin64, kMax64});
  CHECK(run(ReduceOp::Prod, DataType::Int64, i64{int64_t{1} << 32, kMin64, -3},
            i64{int64_t{1} << 32, -1, kMax64}) == i64{0, kMin64, kMin64 + 3});
}

TEST_CASE("min and max respect signedness", "[kernels]") {
  ForcedIsa isa(GENERATE(from_range(kLevels)));
  if (!isa.ok()) return;
  CHECK(run(ReduceOp::Max, DataType::Int8, std::vector<int8_t>{-1, -128},
            std::vector<int8_t>{1, 127}) == std::vector<int8_t>{1, 127});
  CHECK(run(ReduceOp::Max, DataType::Uint8, std::vector<uint8_t>{0xFF, 0x80},
            std::vector<uint8_t>{1, 0x7F}) == std::vector<uint8_t>{0xFF, 0x80});
  CHECK(run(ReduceOp::Min, DataType::Int32, std::vector<int32_t>{-1}, std::vector<int32_t>{1}) ==
        std::vector<int32_t>{-1});
  CHECK(run(ReduceOp::Min, DataType::Uint32, std::vector<uint32_t>{0xFFFFFFFFu},
            std::vector<uint32_t>{1}) == std::vector<uint32_t>{1});
  CHECK(run(ReduceOp::Min, DataType::Int64, std::vector<int64_t>{-1}, std::vector<int64_t>{1}) ==
        std::vector<int64_t>{-1});
  CHECK(run(ReduceOp::Max, DataType::Uint64, std::vector<uint64_t>{~uint64_t{0}},
            std::vector<uint64_t>{1}) == std::vector<uint64_t>{~uint64_t{0}});
  // Negative floats order by value, not by their bit patterns (0xC000 = -2, 0xBC00 = -1 in fp16).
  CHECK(run(ReduceOp::Max, DataType::Float16, V16{0xC000}, V16{0xBC00}) == V16{0xBC00});
  CHECK(run(ReduceOp::Min, DataType::Bfloat16, V16{0xC000}, V16{0xBF80}) == V16{0xC000});
}

TEST_CASE("divide truncates integers toward zero and rounds floats", "[kernels]") {
  ForcedIsa isa(GENERATE(from_range(kLevels)));
  if (!isa.ok()) return;
  CHECK(divided(DataType::Int8, std::vector<int8_t>{-7, 7, -128, 127, -1}, 2) ==
        std::vector<int8_t>{-3, 3, -64, 63, 0});
  CHECK(divided(DataType::Int8, std::vector<int8_t>{-128, 127}, 200) == std::vector<int8_t>{0, 0});
  CHECK(divided(DataType::Uint8, std::vector<uint8_t>{255, 7}, 2) == std::vector<uint8_t>{127, 3});
  CHECK(divided(DataType::Int32, std::vector<int32_t>{-7, std::numeric_limits<int32_t>::min()},
                3) == std::vector<int32_t>{-2, -715827882});
  CHECK(divided(DataType::Uint32, std::vector<uint32_t>{0xFFFFFFFFu}, 2) ==
        std::vector<uint32_t>{0x7FFFFFFFu});
  CHECK(divided(DataType::Int64, std::vector<int64_t>{-9, std::numeric_limits<int64_t>::min()},
                4) == std::vector<int64_t>{-2, std::numeric_limits<int64_t>::min() / 4});
  CHECK(divided(DataType::Uint64, std::vector<uint64_t>{~uint64_t{0}}, 3) ==
        std::vector<uint64_t>{~uint64_t{0} / 3});
  CHECK(divided(DataType::Float32, std::vector<float>{1.0f, -7.0f}, 3) ==
        std::vector<float>{1.0f / 3, -7.0f / 3});
  CHECK(divided(DataType::Float64, std::vector<double>{1.0, -7.0}, 3) ==
        std::vector<double>{1.0 / 3, -7.0 / 3});
  // 1/3: fp16 0x3555 (rounded down), bf16 0x3EAB (rounded up from fp32 0x3EAAAAAB).
  CHECK(divided(DataType::Float16, V16{0x3C00}, 3) == V16{0x3555});
  CHECK(divided(DataType::Float16, V16{0x3C01, 0x0001, 0x0003}, 2) == V16{0x3801, 0x0000, 0x0002});
  CHECK(divided(DataType::Bfloat16, V16{0x3F80}, 3) == V16{0x3EAB});
}

TEST_CASE("avg is sum then divide", "[kernels]") {
  auto sum = run(ReduceOp::Avg, DataType::Int32, std::vector<int32_t>{3, -3, 5},
                 std::vector<int32_t>{4, -4, 5});
  CHECK(sum == std::vector<int32_t>{7, -7, 10});
  CHECK(divided(DataType::Int32, sum, 2) == std::vector<int32_t>{3, -3, 5});
  auto h = run(ReduceOp::Avg, DataType::Float16, V16{0x3C00}, V16{0x4000});  // 1 + 2
  CHECK(divided(DataType::Float16, h, 2) == V16{0x3E00});                    // 1.5
}

TEST_CASE("apply and divide reject bad arguments", "[kernels]") {
  std::vector<float> buf(8);
  CHECK_THROWS_AS(reduce::apply(static_cast<ReduceOp>(5), DataType::Float32, buf.data(), buf.data(),
                                buf.data(), 1),
                  InvalidArgument);
  CHECK_THROWS_AS(reduce::apply(ReduceOp::Sum, static_cast<DataType>(10), buf.data(), buf.data(),
                                buf.data(), 1),
                  InvalidArgument);
  CHECK_THROWS_AS(
      reduce::apply(ReduceOp::Sum, DataType::Float32, nullptr, buf.data(), buf.data(), 1),
      InvalidArgument);
  CHECK_THROWS_AS(reduce::apply(ReduceOp::Sum, DataType::Float32, buf.data() + 1, buf.data(),
                                buf.data() + 4, 4),
                  InvalidArgument);
  CHECK_NOTHROW(reduce::apply(ReduceOp::Sum, DataType::Float32, nullptr, nullptr, nullptr, 0));
  CHECK_NOTHROW(
      reduce::apply(ReduceOp::Sum, DataType::Float32, buf.data(), buf.data() + 4, buf.data(), 4));
  CHECK_THROWS_AS(reduce::divide(DataType::Float32, buf.data(), 8, 0), InvalidArgument);
  CHECK_THROWS_AS(reduce::divide(DataType::Int32, buf.data(), 8, -2), InvalidArgument);
  CHECK_THROWS_AS(reduce::divide(static_cast<DataType>(-1), buf.data(), 8, 2), InvalidArgument);
}

TEST_CASE("datatype and op names, sizes and conversions", "[kernels]") {
  const std::vector<std::pair<const char*, size_t>> dtypes{
      {"int8", 1},   {"uint8", 1}, {"int32", 4}, {"uint32", 4}, {"int64", 8},
      {"uint64", 8}, {"half", 2},  {"float", 4}, {"double", 8}, {"bfloat16", 2}};
  for (int i = 0; i < kNumDataTypes; ++i) {
    const auto dt = toDataType(i);
    REQUIRE(dt.has_value());
    CHECK(std::string(dtypeName(*dt)) == dtypes[i].first);
    CHECK(dtypeSize(*dt) == dtypes[i].second);
  }
  CHECK_FALSE(toDataType(-1).has_value());
  CHECK_FALSE(toDataType(kNumDataTypes).has_value());
  CHECK_THROWS_AS(dtypeSize(static_cast<DataType>(kNumDataTypes)), InvalidArgument);
  CHECK(std::string(dtypeName(static_cast<DataType>(99))) == "unknown");
  const char* ops[] = {"sum", "prod", "max", "min", "avg"};
  for (int i = 0; i < kNumReduceOps; ++i) CHECK(std::string(opName(*toReduceOp(i))) == ops[i]);
  CHECK_FALSE(toReduceOp(kNumReduceOps).has_value());
  CHECK_FALSE(toReduceOp(-1).has_value());
  CHECK(std::string(opName(static_cast<ReduceOp>(7))) == "unknown");
}

TEST_CASE("the best supported level is the default and each can be forced", "[kernels]") {
  REQUIRE(reduce::forceIsa("auto"));
  std::string best = "generic";
#if defined(__x86_64__)
  __builtin_cpu_init();
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  const bool f16c = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & (1u << 29)) != 0;
  const bool avx2 = f16c && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) best = "avx2";
  if (avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq")) {
    best = "avx512";
  }
#endif
  CHECK(reduce::isaName() == best);
  CHECK(reduce::forceIsa("generic"));
  CHECK(std::string(reduce::isaName()) == "generic");
  CHECK_FALSE(reduce::forceIsa("sse9"));
  CHECK_FALSE(reduce::forceIsa(nullptr));
  CHECK(std::string(reduce::isaName()) == "generic");
  CHECK(reduce::forceIsa(best.c_str()));
  CHECK(reduce::forceIsa("auto"));
  CHECK(reduce::isaName() == best);
}

}  // namespace weft::coll::test
