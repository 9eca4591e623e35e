// SPDX-License-Identifier: Apache-2.0
// Broadcast on thread ranks: every root, rank count and awkward count, in place and not.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <string>

#include "tests/support/ranks.h"
#include "tests/support/sweep.h"
#include "tests/support/values.h"

using weft::test::sweep;

namespace {

// Root's data is a pattern of the root and index; other ranks start with a different fill.
std::string checkBroadcast(std::vector<weft::Comm>& comms, weftDataType_t t, size_t count, int root,
                           bool inPlace) {
  const size_t elem = weft::test::elementSize(t);
  std::vector<std::string> errors(comms.size());
  weft::test::onEachRank(comms, [&](weft::Comm& c, int rank) {
    std::vector<unsigned char> send(count * elem), recv(count * elem + 1, 0xA5);
    auto pattern = [&](size_t i) { return double((i * 7 + size_t(root) * 3) % 100); };
    for (size_t i = 0; i < count; ++i) weft::test::store(t, send.data(), i, rank == root ? pattern(i) : 101.0);
    void* out = inPlace ? static_cast<void*>(send.data()) : recv.data();
    // Non-root ranks pass NULL as the send buffer out of place: it is read on the root only.
    const void* in = inPlace ? send.data() : (rank == root ? send.data() : nullptr);
    c.broadcast(in, out, count, t, root);
    for (size_t i = 0; i < count; ++i) {
      if (weft::test::load(t, out, i) != pattern(i)) {
        errors[size_t(rank)] = "rank " + std::to_string(rank) + " element " + std::to_string(i) + " wrong";
        return;
      }
    }
    if (!inPlace && recv[count * elem] != 0xA5) errors[size_t(rank)] = "wrote past the end";
  });
  for (auto& e : errors) {
    if (!e.empty()) return e;
  }
  return {};
}

}  // namespace

TEST_CASE("broadcast: every algorithm, root, rank count and count, in place and not", "[broadcast]") {
  const std::string algo = GENERATE("chain", "tree", "shared", "staged");
  const int ranks = GENERATE(from_range(sweep({1, 2, 3, 4, 5, 8}, {1, 3, 4})));
  auto comms = weft::test::initAllWith(ranks, {{"WEFT_ALGO", "broadcast:" + algo}});
  for (size_t count : {size_t(0), size_t(1), size_t(7), size_t(1000), weft::test::bigCount()}) {
    for (int root = 0; root < ranks; ++root) {
      for (bool inPlace : {false, true}) {
        const weftDataType_t t = count > 1000 ? weftFloat32 : weft::test::kAllTypes[size_t(root) % 10];
        INFO(algo << " ranks=" << ranks << " count=" << count << " root=" << root << " inPlace=" << inPlace);
        REQUIRE(checkBroadcast(comms, t, count, root, inPlace) == "");
      }
    }
  }
}

TEST_CASE("broadcast: every datatype", "[broadcast]") {
  auto comms = weft::Comm::initAll(3);
  for (auto t : weft::test::kAllTypes) {
    INFO("type=" << weft::test::typeName(t));
    REQUIRE(checkBroadcast(comms, t, 4099, 1, false) == "");
  }
}
