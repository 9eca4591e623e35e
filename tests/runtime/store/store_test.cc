// SPDX-License-Identifier: Apache-2.0
// The Store contract, run for every store kind (memory, TCP, file, prefix over TCP).
#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <set>
#include <thread>

#include "common/error.h"
#include "tests/runtime/store/store_fixture.h"

using namespace weft;
using namespace weft::store;
using weft::store::test::bytes;
using weft::store::test::str;

namespace {
double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

auto kinds() { return Catch::Generators::values<std::string>({"hash", "tcp", "file", "prefix-over-tcp"}); }
}  // namespace

TEST_CASE("store set and get round-trip values", "[store]") {
  const std::string kind = GENERATE(kinds());
  CAPTURE(kind);
  test::StoreUnderTest t(kind);
  Store& s = t.store();

  s.set("plain", bytes("hello"));
  REQUIRE(str(s.get("plain", Deadline::after(1))) == "hello");

  const Bytes binary = {0, 1, 0xff, 0, 42};
  s.set("binary", binary);
  REQUIRE(s.get("binary", Deadline::after(1)) == binary);

  s.set("empty", {});
  REQUIRE(s.get("empty", Deadline::after(1)).empty());

  s.set("plain", bytes("overwritten"));
  REQUIRE(str(t.client()->get("plain", Deadline::after(1))) == "overwritten");

  Bytes big(1 << 20);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 7);
  s.set("big", big);
  REQUIRE(t.client()->get("big", Deadline::after(5)) == big);
}

TEST_CASE("store get waits for a later set from another thread", "[store]") {
  const std::string kind = GENERATE(kinds());
  const bool sameHandle = GENERATE(true, false);
  CAPTURE(kind, sameHandle);
  test::StoreUnderTest t(kind);
  auto setter = sameHandle ? t.shared() : t.client();

  auto start = Clock::now();
  std::thread th([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    setter->set("late", bytes("arrived"));
  });
  Bytes got;
  REQUIRE_NOTHROW(got = t.store().get("late", Deadline::after(5)));
  th.join();
  REQUIRE(str(got) == "arrived");
  REQUIRE(secondsSince(start) >= 0.09);
  REQUIRE(secondsSince(start) < 2);
}

TEST_CASE("store add is atomic across threads", "[store]") {
  const std::string kind = GENERATE(kinds());
  CAPTURE(kind);
  test::StoreUnderTest t(kind);
  constexpr int kThreads = 8, kAdds = 100;

  std::vector<std::vector<int64_t>> seen(kThreads);
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int i = 0; i < kThreads; ++i) {
    // Half the threads share the main handle, half have their own (as separate ranks would).
    auto handle = i % 2 ? t.shared() : t.client();
    threads.emplace_back([&, i, handle] {
      try {
        for (int k = 0; k < kAdds; ++k) seen[i].push_back(handle->add("counter", 1));
      } catch (...) {
        ++failures;
      }
    });
  }
  for (auto& th : threads) th.join();
  REQUIRE(failures == 0);

  std::set<int64_t> all;
  for (auto& v : seen) all.insert(v.begin(), v.end());
  REQUIRE(all.size() == kThreads * kAdds);  // every add saw a distinct result
  REQUIRE(*all.begin() == 1);
  REQUIRE(*all.rbegin() == kThreads * kAdds);
  REQUIRE(str(t.store().get("counter", Deadline::after(1))) == "800");
  REQUIRE(t.store().add("counter", -800) == 0);
  REQUIRE(t.store().add("fresh", 0) == 0);
  REQUIRE(t.store().add("negative", -5) == -5);
}

TEST_CASE("store wait returns once every key is set", "[store]") {
  const std::string kind = GENERATE(kinds());
  CAPTURE(kind);
  test::StoreUnderTest t(kind);
  auto other = t.client();
  t.store().set("a", bytes("1"));

  std::thread th([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    other->set("b", bytes("2"));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    other->add("c", 3);
  });
  auto start = Clock::now();
  REQUIRE_NOTHROW(t.store().wait({"a", "b", "c"}, Deadline::after(5)));
  th.join();
  REQUIRE(secondsSince(start) >= 0.09);
  REQUIRE_NOTHROW(t.store().wait({}, Deadline::after(0.1)));
}

TEST_CASE("store timeouts name the missing keys and respect the deadline", "[store]") {
  const std::string kind = GENERATE(kinds());
  CAPTURE(kind);
  test::StoreUnderTest t(kind);
  Store& s = t.store();

  auto start = Clock::now();
  try {
    s.get("addr/3", Deadline::after(0.2));
    FAIL("get of a missing key returned");
  } catch (const Timeout& e) {
    std::string msg = e.what();
    CAPTURE(msg);
    REQUIRE(msg.find("timed out after 0.2 s waiting for key 'addr/3' in the store at ") == 0);
    REQUIRE(msg.find("group0/") == std::string::npos);  // a PrefixStore shows the caller's key
  }
  REQUIRE(secondsSince(start) >= 0.19);
  REQUIRE(secondsSince(start) < 1.5);

  s.set("present", bytes("x"));
  try {
    s.wait({"present", "gone/1", "gone/2"}, Deadline::after(0.1));
    FAIL("wait for missing keys returned");
  } catch (const Timeout& e) {
    std::string msg = e.what();
    CAPTURE(msg);
    REQUIRE(msg.find("keys 'gone/1', 'gone/2' in the store") != std::string::npos);
    REQUIRE(msg.find("present") == std::string::npos);
  }
}

TEST_CASE("store rejects bad input", "[store]") {
  const std::string kind = GENERATE(kinds());
  CAPTURE(kind);
  test::StoreUnderTest t(kind);
  Store& s = t.store();

  REQUIRE_THROWS_AS(s.set("", bytes("x")), InvalidArgument);
  REQUIRE_THROWS_AS(s.set(std::string(5000, 'k'), bytes("x")), InvalidArgument);
  s.set("text", bytes("not a number"));
  REQUIRE_THROWS_WITH(s.add("text", 1), Catch::Contains("'text'") && Catch::Contains("not a decimal"));
  s.add("max", INT64_MAX);
  REQUIRE_THROWS_AS(s.add("max", 1), InvalidArgument);
  // The store stays usable after rejected calls.
  REQUIRE(s.add("max", -1) == INT64_MAX - 1);
}
