// SPDX-License-Identifier: Apache-2.0
// Exact value conversions and input patterns for collective tests.
#include "tests/support/values.h"

#include <cmath>
#include <stdexcept>

namespace weft::test {
namespace {

uint16_t halfFromExact(double v) {
  // v is 0 or an integer of magnitude < 2048 (exact in binary16): build the bits by hand.
  if (v == 0) return 0;
  uint16_t sign = v < 0 ? 0x8000 : 0;
  double a = std::fabs(v);
  int e = 0;
  while (a >= 2) { a /= 2; ++e; }
  const double frac = (a - 1) * 1024;
  if (frac != std::floor(frac) || e > 15) throw std::logic_error("value not exact in half");
  return uint16_t(sign | uint16_t((e + 15) << 10) | uint16_t(frac));
}

double halfToDouble(uint16_t h) {
  const int sign = (h & 0x8000) ? -1 : 1;
  const int e = (h >> 10) & 0x1f;
  const int m = h & 0x3ff;
  if (e == 0) return sign * std::ldexp(m, -24);
  if (e == 31) return m ? NAN : sign * INFINITY;
  return sign * std::ldexp(1024 + m, e - 25);
}

template <class T>
void put(void* buf, size_t i, T v) { std::memcpy(static_cast<char*>(buf) + i * sizeof(T), &v, sizeof(T)); }
template <class T>
T get(const void* buf, size_t i) {
  T v;
  std::memcpy(&v, static_cast<const char*>(buf) + i * sizeof(T), sizeof(T));
  return v;
}

}  // namespace

size_t elementSize(weftDataType_t t) {
  switch (t) {
    case weftInt8: case weftUint8: return 1;
    case weftFloat16: case weftBfloat16: return 2;
    case weftInt32: case weftUint32: case weftFloat32: return 4;
    default: return 8;
  }
}

const char* typeName(weftDataType_t t) {
  static const char* names[] = {"int8", "uint8", "int32", "uint32", "int64", "uint64", "half", "float", "double", "bfloat16"};
  return names[int(t)];
}

bool isSigned(weftDataType_t t) { return t == weftInt8 || t == weftInt32 || t == weftInt64 || isFloat(t); }
bool isFloat(weftDataType_t t) { return t == weftFloat16 || t == weftFloat32 || t == weftFloat64 || t == weftBfloat16; }

void store(weftDataType_t t, void* buf, size_t i, double v) {
  switch (t) {
    case weftInt8: put<int8_t>(buf, i, int8_t(int64_t(v))); break;
    case weftUint8: put<uint8_t>(buf, i, uint8_t(int64_t(v))); break;
    case weftInt32: put<int32_t>(buf, i, int32_t(int64_t(v))); break;
    case weftUint32: put<uint32_t>(buf, i, uint32_t(int64_t(v))); break;
    case weftInt64: put<int64_t>(buf, i, int64_t(v)); break;
    case weftUint64: put<uint64_t>(buf, i, uint64_t(int64_t(v))); break;
    case weftFloat16: put<uint16_t>(buf, i, halfFromExact(v)); break;
    case weftFloat32: put<float>(buf, i, float(v)); break;
    case weftFloat64: put<double>(buf, i, v); break;
    case weftBfloat16: {
      const float f = float(v);
      uint32_t u;
      std::memcpy(&u, &f, 4);
      if (u & 0xffff) throw std::logic_error("value not exact in bfloat16");
      put<uint16_t>(buf, i, uint16_t(u >> 16));
      break;
    }
    default: throw std::logic_error("bad type");
  }
}

double load(weftDataType_t t, const void* buf, size_t i) {
  switch (t) {
    case weftInt8: return get<int8_t>(buf, i);
    case weftUint8: return get<uint8_t>(buf, i);
    case weftInt32: return get<int32_t>(buf, i);
    case weftUint32: return get<uint32_t>(buf, i);
    case weftInt64: return double(get<int64_t>(buf, i));
    case weftUint64: return double(get<uint64_t>(buf, i));
    case weftFloat16: return halfToDouble(get<uint16_t>(buf, i));
    case weftFloat32: return get<float>(buf, i);
    case weftFloat64: return get<double>(buf, i);
    case weftBfloat16: {
      const uint32_t u = uint32_t(get<uint16_t>(buf, i)) << 16;
      float f;
      std::memcpy(&f, &u, 4);
      return f;
    }
    default: throw std::logic_error("bad type");
  }
}

double wrap(weftDataType_t t, double v) {
  if (isFloat(t)) return v;
  char tmp[8];
  store(t, tmp, 0, v);
  return load(t, tmp, 0);
}

// Sum, max, min: small integers 1..7 (shifted to -3..3 for signed types, so that min/max see
// signs), exact in every type for up to 8 ranks. Prod: factors of 1 and 2 (and -1 for signed),
// at most 2^3 in magnitude. Avg: (i % 3) + 2*rank, whose sum n*(i%3) + n(n-1) is divisible by n.
namespace {
// input() depends on i only through (i % kWrap) % kPeriod: its residues mod 7, 3 and 4.
constexpr size_t kWrap = 1000003, kPeriod = 84;
}  // namespace

double input(weftRedOp_t op, weftDataType_t t, int rank, size_t i) {
  const int ii = int(i % kWrap);
  switch (op) {
    case weftProd:
      if ((rank + ii) % 3 == 0) return 2;
      return (isSigned(t) && (rank + ii) % 4 == 1) ? -1 : 1;
    case weftAvg:
      return double(ii % 3 + 2 * rank);
    default: {
      const int base = (rank * 3 + ii) % 7 + 1;
      return isSigned(t) ? base - 4 : base;
    }
  }
}

namespace {

double reduceInputs(weftRedOp_t op, weftDataType_t t, int nranks, size_t i) {
  double acc = input(op, t, 0, i);
  for (int r = 1; r < nranks; ++r) {
    const double v = input(op, t, r, i);
    switch (op) {
      case weftSum: case weftAvg: acc += v; break;
      case weftProd: acc *= v; break;
      case weftMax: acc = std::max(acc, v); break;
      case weftMin: acc = std::min(acc, v); break;
      default: break;
    }
  }
  if (op == weftAvg) acc /= nranks;  // exact by construction
  return wrap(t, acc);
}

}  // namespace

// One period of results per (op, type, ranks), kept per thread: the checks of a million-element
// call ask for every element on every rank, and reducing nranks inputs each time made the checks,
// not the collectives, most of the suites' time.
double expected(weftRedOp_t op, weftDataType_t t, int nranks, size_t i) {
  struct Period {
    int op = -1, type = -1, nranks = -1;
    double value[kPeriod];
  };
  thread_local Period p;
  if (p.op != int(op) || p.type != int(t) || p.nranks != nranks) {
    for (size_t k = 0; k < kPeriod; ++k) p.value[k] = reduceInputs(op, t, nranks, k);
    p.op = int(op), p.type = int(t), p.nranks = nranks;
  }
  return p.value[(i % kWrap) % kPeriod];
}

}  // namespace weft::test
