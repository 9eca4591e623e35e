// SPDX-License-Identifier: Apache-2.0
// membw's measure(): the calls of a measurement walk the whole span, slice by slice, as the perf
// tools' iterations do; without a span they reuse the same bytes.
#include <catch2/catch.hpp>

#include <cstring>

#include "bench/membw/measure.h"

using namespace weft::bench::membw;

namespace {

constexpr size_t kSlice = 4096, kSlices = 5, kSpan = kSlice * kSlices;

// Floats i + 1 (a) and 1000 * (i + 1) (b) over the span; dst zeroed.
struct Buffers {
  Buffer dst = touched(kSpan), a = touched(kSpan), b = touched(kSpan);
  Buffers() {
    auto* fa = reinterpret_cast<float*>(a.get());
    auto* fb = reinterpret_cast<float*>(b.get());
    for (size_t i = 0; i < kSpan / sizeof(float); ++i) {
      fa[i] = float(i + 1);
      fb[i] = 1000.0f * float(i + 1);
    }
    std::memset(dst.get(), 0, kSpan);
  }
  const float* out() const { return reinterpret_cast<const float*>(dst.get()); }
};

}  // namespace

TEST_CASE("measure walks every slice of the span", "[membw]") {
  Buffers bufs;
  SECTION("copy") {
    measure(Kernel::Copy, {bufs.dst.get(), bufs.a.get(), bufs.b.get(), kSpan}, kSlice, 1);
    CHECK(std::memcmp(bufs.dst.get(), bufs.a.get(), kSpan) == 0);
  }
  SECTION("reduce") {
    measure(Kernel::Reduce, {bufs.dst.get(), bufs.a.get(), bufs.b.get(), kSpan}, kSlice, 1);
    size_t wrong = 0;
    for (size_t i = 0; i < kSpan / sizeof(float); ++i) wrong += bufs.out()[i] != 1001.0f * float(i + 1);
    CHECK(wrong == 0);
  }
}

TEST_CASE("without a span, measure reuses the first slice", "[membw]") {
  Buffers bufs;
  measure(Kernel::Copy, {bufs.dst.get(), bufs.a.get(), bufs.b.get()}, kSlice, 1);
  CHECK(std::memcmp(bufs.dst.get(), bufs.a.get(), kSlice) == 0);
  size_t touchedBeyond = 0;
  for (size_t i = kSlice / sizeof(float); i < kSpan / sizeof(float); ++i) touchedBeyond += bufs.out()[i] != 0.0f;
  CHECK(touchedBeyond == 0);
}

TEST_CASE("a span that is not a multiple of the size leaves the remainder alone", "[membw]") {
  Buffers bufs;
  // Two whole slices of 2 * kSlice fit in the span of 5 slices; the fifth slice is never copied.
  measure(Kernel::Copy, {bufs.dst.get(), bufs.a.get(), bufs.b.get(), kSpan}, 2 * kSlice, 1);
  CHECK(std::memcmp(bufs.dst.get(), bufs.a.get(), 4 * kSlice) == 0);
  size_t touchedBeyond = 0;
  for (size_t i = 4 * kSlice / sizeof(float); i < kSpan / sizeof(float); ++i) touchedBeyond += bufs.out()[i] != 0.0f;
  CHECK(touchedBeyond == 0);
}
