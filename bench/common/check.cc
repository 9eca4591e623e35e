// SPDX-License-Identifier: Apache-2.0
// Fill, expected-value and comparison functions for the perf tools' checks: one template per job, one table per datatype.
#include "bench/common/check.h"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>
#include <string>

#include "bench/common/dtype.h"
#include "bench/common/float16.h"

// Note [Exact check values]
// A check passes only if the collective's result equals, element by element, a value computed
// here on the host. That holds whatever order or precision the library reduces in, provided every
// input, every partial result over any subset of ranks, and the result are integers that the
// datatype holds exactly. With E = maxExactInteger(type) (127 for int8, 2048 for half, 256 for
// bfloat16, 2^24 for float, ...) and n ranks, element i of rank r is drawn from a hash of
// (seed, r, i), so a misplaced chunk, a missing or doubled rank, or a stale buffer shows:
//  - sum: a value in [-E/n, E/n] ([0, E/n] unsigned); any partial sum stays within [-E, E].
//  - prod: 1 or 2 (or -1 / -2 on signed types, the sign drawn per rank). For element i exactly
//    c(i) ranks, a hashed run of consecutive ranks, give a 2, with c(i) <= P = log2 of the largest
//    exact power of two (6 for int8, 7 for uint8, 15 for half, 30 otherwise): every partial
//    product is +-2^k with k <= P, so nothing overflows or rounds.
//  - max, min and copies: any value in [-E, E] ([0, E]): selection never rounds.
//  - avg: a(i) + d(r, i), where a(i) is shared and the offsets d cancel in pairs of ranks
//    (+e, -e; an odd last rank gets 0). The sum is n * a(i), exact as for sum, so one division
//    by n gives a(i) exactly in every type: no truncation question for integers, no rounding for
//    floats. Magnitudes stay below E/n as for sum (a within E/n - E/3n, e within E/3n).
// With n > E (e.g. more than 127 ranks on int8) the sum and avg inputs degenerate to zeros.

namespace weft::bench {
namespace {

// One round of splitmix64's finalizer over (seed, a, b): cheap, and good enough for a pattern.
uint64_t mix(uint64_t seed, uint64_t a, uint64_t b) {
  uint64_t z = seed + a * 0x9e3779b97f4a7c15ull + b * 0xd1b54a32d192ed03ull;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

__extension__ typedef unsigned __int128 Uint128;

// A value in [lo, hi] from 64 random bits (multiply-high instead of a division). Unsigned
// arithmetic throughout: hi - lo and lo + offset overflow int64_t for the widest ranges.
int64_t uniform(uint64_t bits, int64_t lo, int64_t hi) {
  const uint64_t span = static_cast<uint64_t>(hi) - static_cast<uint64_t>(lo) + 1;
  const auto offset = static_cast<uint64_t>((static_cast<Uint128>(bits) * span) >> 64);
  return static_cast<int64_t>(static_cast<uint64_t>(lo) + offset);
}

// Stream ids for hashes that depend on the element only.
constexpr uint64_t kSharedStream = ~0ull;
constexpr uint64_t kStartStream = ~1ull;

// Storage and exactness limits of one datatype; Enc/Dec convert between storage and numbers.
template <class S, weftDataType_t kT, int64_t kExact, int kPow2, bool kSignedValues>
struct Codec {
  using Storage = S;
  static constexpr weftDataType_t kType = kT;
  static constexpr int64_t kMaxExact = kExact;
  static constexpr int kMaxPow2 = kPow2;  // largest k with +-2^k exact
  static constexpr bool kSigned = kSignedValues;
};

template <class I, weftDataType_t kT>
struct IntCodec
    : Codec<I, kT,
            std::numeric_limits<I>::digits >= 62 ? int64_t{1} << 62
                                                 : static_cast<int64_t>(std::numeric_limits<I>::max()),
            std::min(std::numeric_limits<I>::digits - 1, 30), std::numeric_limits<I>::is_signed> {
  static I encode(int64_t v) { return static_cast<I>(v); }
  static I fromLongDouble(long double v) { return static_cast<I>(v); }
  static long double decode(I s) { return static_cast<long double>(s); }
  static bool same(I got, I want) { return got == want; }
};

template <class F, weftDataType_t kT, int64_t kExact>
struct FloatCodec : Codec<F, kT, kExact, 30, true> {
  static F encode(int64_t v) { return static_cast<F>(v); }
  static F fromLongDouble(long double v) { return static_cast<F>(v); }
  static long double decode(F s) { return s; }
  static bool same(F got, F want) { return got == want; }
};

template <uint16_t (*kFrom)(float), float (*kTo)(uint16_t), weftDataType_t kT, int64_t kExact,
          int kPow2>
struct Float16Codec : Codec<uint16_t, kT, kExact, kPow2, true> {
  static uint16_t encode(int64_t v) { return kFrom(static_cast<float>(v)); }
  static uint16_t fromLongDouble(long double v) { return kFrom(static_cast<float>(v)); }
  static long double decode(uint16_t s) { return kTo(s); }
  static bool same(uint16_t got, uint16_t want) { return kTo(got) == kTo(want); }
};

// The values of one (spec, datatype): see Note [Exact check values].
template <class C>
class Pattern {
 public:
  explicit Pattern(const CheckSpec& spec) : spec_(spec), n_(std::max(spec.nranks, 1)) {
    const int64_t perRank = C::kMaxExact / n_;
    switch (spec.op) {
      case weftSum: setRange(perRank); break;
      case weftMax:
      case weftMin: setRange(C::kMaxExact); break;
      case weftProd: twos_ = std::min<int64_t>(n_, C::kMaxPow2); break;
      case weftAvg:
        offset_ = perRank / 3;
        sharedLo_ = C::kSigned ? -(perRank - offset_) : offset_;
        sharedHi_ = perRank - offset_;
        break;
      default: throw std::invalid_argument("unknown reduction op " + std::to_string(spec.op));
    }
  }

  int64_t value(int rank, size_t i) const {
    const uint64_t bits = mix(spec_.seed, static_cast<uint64_t>(rank), i);
    switch (spec_.op) {
      case weftProd: {
        const int64_t c = uniform(mix(spec_.seed, kSharedStream, i), 0, twos_);
        const int64_t start = uniform(mix(spec_.seed, kStartStream, i), 0, n_ - 1);
        const int64_t sign = (C::kSigned && (bits >> 63) != 0) ? -1 : 1;
        return ((rank - start + n_) % n_ < c) ? 2 * sign : sign;
      }
      case weftAvg: {
        const int64_t shared = uniform(mix(spec_.seed, kSharedStream, i), sharedLo_, sharedHi_);
        if (rank == n_ - 1 && n_ % 2 == 1) return shared;  // the unpaired last rank
        const int64_t e = uniform(mix(spec_.seed, static_cast<uint64_t>(rank / 2), i), 0, offset_);
        return rank % 2 == 0 ? shared + e : shared - e;
      }
      default: return uniform(bits, lo_, hi_);
    }
  }

  int64_t reduced(size_t i) const {
    int64_t acc = value(0, i);
    for (int r = 1; r < n_; ++r) {
      const int64_t v = value(r, i);
      switch (spec_.op) {
        case weftProd: acc *= v; break;
        case weftMax: acc = std::max(acc, v); break;
        case weftMin: acc = std::min(acc, v); break;
        default: acc += v; break;  // sum and avg
      }
    }
    return spec_.op == weftAvg ? acc / n_ : acc;  // exact: the sum is n * a(i)
  }

 private:
  void setRange(int64_t m) {
    lo_ = C::kSigned ? -m : 0;
    hi_ = m;
  }

  CheckSpec spec_;
  int64_t n_;
  int64_t lo_ = 0, hi_ = 0;              // sum, max, min
  int64_t twos_ = 0;                     // prod: the most ranks that give a 2
  int64_t offset_ = 0;                   // avg: the largest pair offset e
  int64_t sharedLo_ = 0, sharedHi_ = 0;  // avg: the range of a(i)
};

template <class C>
struct Ops {
  using S = typename C::Storage;

  static void fillInput(const CheckSpec& spec, int rank, void* buf, size_t count, size_t first) {
    const Pattern<C> pattern(spec);
    auto* out = static_cast<S*>(buf);
    for (size_t i = 0; i < count; ++i) out[i] = C::encode(pattern.value(rank, first + i));
  }
  static void fillReduced(const CheckSpec& spec, void* buf, size_t count, size_t first) {
    const Pattern<C> pattern(spec);
    auto* out = static_cast<S*>(buf);
    for (size_t i = 0; i < count; ++i) out[i] = C::encode(pattern.reduced(first + i));
  }
  static size_t countWrong(const void* got, const void* want, size_t count, size_t* first) {
    const auto* g = static_cast<const S*>(got);
    const auto* w = static_cast<const S*>(want);
    size_t wrong = 0;
    for (size_t i = 0; i < count; ++i) {
      if (C::same(g[i], w[i])) continue;
      if (wrong++ == 0 && first != nullptr) *first = i;
    }
    return wrong;
  }
  static long double get(const void* buf, size_t i) { return C::decode(static_cast<const S*>(buf)[i]); }
  static void set(void* buf, size_t i, long double v) { static_cast<S*>(buf)[i] = C::fromLongDouble(v); }
};

struct Table {
  weftDataType_t type;
  int64_t maxExact;
  void (*fillInput)(const CheckSpec&, int, void*, size_t, size_t);
  void (*fillReduced)(const CheckSpec&, void*, size_t, size_t);
  size_t (*countWrong)(const void*, const void*, size_t, size_t*);
  long double (*get)(const void*, size_t);
  void (*set)(void*, size_t, long double);
};

template <class C>
constexpr Table tableFor() {
  return {C::kType, C::kMaxExact, &Ops<C>::fillInput, &Ops<C>::fillReduced, &Ops<C>::countWrong,
          &Ops<C>::get, &Ops<C>::set};
}

// Indexed by weftDataType_t; the static_assert below keeps the order honest.
constexpr std::array<Table, weftNumTypes> kTables = {
    tableFor<IntCodec<int8_t, weftInt8>>(),
    tableFor<IntCodec<uint8_t, weftUint8>>(),
    tableFor<IntCodec<int32_t, weftInt32>>(),
    tableFor<IntCodec<uint32_t, weftUint32>>(),
    tableFor<IntCodec<int64_t, weftInt64>>(),
    tableFor<IntCodec<uint64_t, weftUint64>>(),
    tableFor<Float16Codec<halfFromFloat, halfToFloat, weftFloat16, 2048, 15>>(),
    tableFor<FloatCodec<float, weftFloat32, int64_t{1} << 24>>(),
    tableFor<FloatCodec<double, weftFloat64, int64_t{1} << 53>>(),
    tableFor<Float16Codec<bf16FromFloat, bf16ToFloat, weftBfloat16, 256, 30>>(),
};

constexpr bool tablesInEnumOrder() {
  for (size_t i = 0; i < kTables.size(); ++i) {
    if (static_cast<size_t>(kTables[i].type) != i) return false;
  }
  return true;
}
static_assert(tablesInEnumOrder(), "kTables must follow weftDataType_t");

const Table& tableOf(weftDataType_t type) {
  const auto i = static_cast<size_t>(type);
  if (i >= kTables.size()) throw std::invalid_argument("unknown datatype " + std::to_string(i));
  return kTables[i];
}

}  // namespace

void fillInput(const CheckSpec& spec, int rank, void* buf, size_t count, size_t first) {
  tableOf(spec.type).fillInput(spec, rank, buf, count, first);
}

void fillGathered(const CheckSpec& spec, void* buf, size_t block, size_t first) {
  const Table& table = tableOf(spec.type);
  const size_t blockBytes = block * elementSize(spec.type);
  auto* out = static_cast<std::byte*>(buf);
  for (int j = 0; j < spec.nranks; ++j, out += blockBytes) table.fillInput(spec, j, out, block, first);
}

void fillReduced(const CheckSpec& spec, void* buf, size_t count, size_t first) {
  tableOf(spec.type).fillReduced(spec, buf, count, first);
}

size_t countWrong(weftDataType_t type, const void* got, const void* want, size_t count,
                  size_t* firstWrong) {
  return tableOf(type).countWrong(got, want, count, firstWrong);
}

long double elementValue(weftDataType_t type, const void* buf, size_t i) {
  return tableOf(type).get(buf, i);
}

void setElement(weftDataType_t type, void* buf, size_t i, long double value) {
  tableOf(type).set(buf, i, value);
}

int64_t maxExactInteger(weftDataType_t type) { return tableOf(type).maxExact; }

}  // namespace weft::bench
