// SPDX-License-Identifier: Apache-2.0
// How wide the thread-rank sweeps are: in full by default; WEFT_TEST_SWEEP=short (tools/sanitize)
// keeps every algorithm, datatype, op, root, layout and small count but runs fewer rank counts and
// a quarter of the large count, so that the suite fits in CI under sanitizers, which make it
// several times slower.
#pragma once

#include <cstddef>
#include <cstdlib>
#include <initializer_list>
#include <string_view>
#include <vector>

namespace weft::test {

inline bool shortSweep() {
  const char* v = std::getenv("WEFT_TEST_SWEEP");
  return v != nullptr && std::string_view(v) == "short";
}

// `full`, or `brief` under WEFT_TEST_SWEEP=short: GENERATE(from_range(sweep({1, 2, 8}, {1, 3}))).
template <class T>
std::vector<T> sweep(std::initializer_list<T> full, std::initializer_list<T> brief) {
  return shortSweep() ? std::vector<T>(brief) : std::vector<T>(full);
}

// The large count: many pipelined chunks (64 KiB shared-memory slots, 512 KiB TCP and UCX
// messages) and a ragged tail; 1 MiB of int8 in full, 256 KiB under WEFT_TEST_SWEEP=short.
inline size_t bigCount() { return (size_t(1) << (shortSweep() ? 18 : 20)) + 3; }

}  // namespace weft::test
