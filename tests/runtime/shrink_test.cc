// SPDX-License-Identifier: Apache-2.0
// weftCommShrink (Note [Shrink]): the ranks not excluded form a working communicator, planned or
// after a failure, over every transport; misuse is refused.
#include <catch2/catch.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "tests/support/ranks.h"

namespace {

// Sum of `values` over the communicator, in place.
int64_t sum(weft::Comm& c, int64_t v) {
  c.allReduce(&v, &v, 1, weftInt64, weftSum);
  return v;
}

}  // namespace

TEST_CASE("shrink: the others form a communicator, ranked in order, and the parent goes on", "[shrink]") {
  const int n = GENERATE(2, 4, 5);
  auto comms = weft::Comm::initAll(n);
  const std::vector<int> excluded{1};
  std::vector<std::string> errors(static_cast<size_t>(n));
  weft::test::onEachRank(comms, [&](weft::Comm& parent, int rank) {
    std::string& err = errors[size_t(rank)];
    if (rank != 1) {
      weft::Comm child = parent.shrink(excluded);
      const int expected = rank == 0 ? 0 : rank - 1;
      if (child.size() != n - 1 || child.rank() != expected) {
        err = "rank " + std::to_string(rank) + " is rank " + std::to_string(child.rank()) + " of " +
              std::to_string(child.size());
        return;
      }
      if (!parent.failedRanks().empty()) err = "a healthy communicator reports failed ranks";
      // Twice, with a parent call between: child and parent are independent.
      const int64_t want = int64_t(n) * (n - 1) / 2 - 1;
      if (sum(child, rank) != want) err = "wrong sum on the child";
      if (sum(parent, rank) != int64_t(n) * (n - 1) / 2) err = "wrong sum on the parent";
      if (sum(child, rank) != want) err = "wrong second sum on the child";
    } else {
      // The excluded rank takes no part in the shrink, and its parent works as before.
      if (sum(parent, rank) != int64_t(n) * (n - 1) / 2) err = "wrong sum on the parent (excluded rank)";
    }
  });
  for (size_t r = 0; r < errors.size(); ++r) {
    INFO("rank " << r);
    CHECK(errors[r] == "");
  }
}

TEST_CASE("shrink: after a rank stops, the others drop the failed call's messages and go on", "[shrink]") {
  // Rank 2 of 4 stops taking part (as if it died; thread ranks share a process, so the others
  // notice by their timeout). The others' all-reduce fails, leaving its messages in their links;
  // they shrink it away, aborting what is left, and reduce among themselves.
  auto comms = weft::test::initAllWith(4, {{"WEFT_TIMEOUT", "1"}});
  std::vector<std::string> errors(4);
  weft::test::onEachRank(comms, [&](weft::Comm& parent, int rank) {
    if (rank == 2) return;
    std::vector<float> big(100000, 1.0f);
    weftResult_t r = weftAllReduce(big.data(), big.data(), big.size(), weftFloat32, weftSum, parent.get(), nullptr);
    if (r == weftSuccess) {
      errors[size_t(rank)] = "the all-reduce without rank 2 succeeded";
      return;
    }
    weft::Comm child = parent.shrink({2}, WEFT_SHRINK_ABORT);
    if (sum(child, rank) != 0 + 1 + 3) errors[size_t(rank)] = "wrong sum after the shrink";
    std::vector<float> again(100000, 1.0f);
    child.allReduce(again.data(), again.data(), again.size(), weftFloat32, weftSum);
    if (again[0] != 3.0f || again.back() != 3.0f) errors[size_t(rank)] = "wrong large sum after the shrink";
    // The aborted parent refuses further calls.
    int64_t v = 0;
    if (weftAllReduce(&v, &v, 1, weftInt64, weftSum, parent.get(), nullptr) != weftInvalidUsage) {
      errors[size_t(rank)] = "the aborted parent still ran a call";
    }
  });
  for (size_t r = 0; r < errors.size(); ++r) {
    INFO("rank " << r);
    CHECK(errors[r] == "");
  }
}

TEST_CASE("shrink: misuse is refused", "[shrink]") {
  auto comms = weft::Comm::initAll(3);
  weftComm_t out = nullptr;
  const int self[] = {0}, outside[] = {3}, twice[] = {1, 1}, one[] = {1};
  weftComm_t c = comms[0].get();
  CHECK(weftCommShrink(c, self, 1, &out, WEFT_SHRINK_DEFAULT) == weftInvalidArgument);
  CHECK(std::string(weftGetLastError(nullptr)).find("excludes itself") != std::string::npos);
  CHECK(weftCommShrink(c, outside, 1, &out, WEFT_SHRINK_DEFAULT) == weftInvalidArgument);
  CHECK(weftCommShrink(c, twice, 2, &out, WEFT_SHRINK_DEFAULT) == weftInvalidArgument);
  CHECK(weftCommShrink(c, one, -1, &out, WEFT_SHRINK_DEFAULT) == weftInvalidArgument);
  CHECK(weftCommShrink(c, nullptr, 1, &out, WEFT_SHRINK_DEFAULT) == weftInvalidArgument);
  CHECK(weftCommShrink(c, one, 1, nullptr, WEFT_SHRINK_DEFAULT) == weftInvalidArgument);
  CHECK(weftCommShrink(c, one, 1, &out, 7) == weftInvalidArgument);
  CHECK(weftCommShrink(nullptr, one, 1, &out, WEFT_SHRINK_DEFAULT) == weftInvalidArgument);
  CHECK(out == nullptr);
}

TEST_CASE("shrink: survivors that pass different lists are told so", "[shrink]") {
  auto comms = weft::test::initAllWith(4, {{"WEFT_TIMEOUT", "2"}});
  std::vector<weftResult_t> results(4, weftSuccess);
  std::vector<std::string> messages(4);
  weft::test::onEachRank(comms, [&](weft::Comm& parent, int rank) {
    if (rank == 3) return;
    // Ranks 0 and 1 exclude rank 3; rank 2 excludes ranks 1 and 3, so rank 1 and 2 disagree.
    const std::vector<int> list = rank == 2 ? std::vector<int>{1, 3} : std::vector<int>{3};
    weftComm_t child = nullptr;
    results[size_t(rank)] = weftCommShrink(parent.get(), list.data(), int(list.size()), &child, WEFT_SHRINK_DEFAULT);
    messages[size_t(rank)] = weftGetLastError(nullptr);
    weftCommDestroy(child);
  });
  // Rank 0 meets rank 2's marker with the other list; no survivor gets a communicator.
  for (int r = 0; r < 3; ++r) {
    INFO("rank " << r << ": " << messages[size_t(r)]);
    CHECK(results[size_t(r)] != weftSuccess);
  }
  CHECK(messages[0].find("another list of excluded ranks") != std::string::npos);
}
