// SPDX-License-Identifier: Apache-2.0
// Shared buffers (Note [Shared buffers]): finding which one holds a range, and a peer's mapping of
// one through /proc/<pid>/fd, here this process's own (a second mapping at another address).
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "transport/shared_memory.h"
#include "common/error.h"
#include "transport/shm/address.h"
#include "transport/shm/peer_maps.h"

using weft::transport::SharedRef;

TEST_CASE("findShared: the buffer holding all of a range, or none", "[shared]") {
  auto* p = static_cast<std::byte*>(weft::transport::allocateShared(10000));
  const SharedRef whole = weft::transport::findShared(p, 10000);
  REQUIRE(whole);
  CHECK(whole.fd >= 0);
  CHECK(weft::transport::findShared(p + 5000, 5000).serial == whole.serial);
  CHECK(weft::transport::findShared(p + 9999, 1));
  CHECK(!weft::transport::findShared(p + 5000, 5001));  // runs past the end
  CHECK(!weft::transport::findShared(p - 1, 2));        // starts before it
  std::vector<std::byte> heap(100);
  CHECK(!weft::transport::findShared(heap.data(), heap.size()));
  auto* q = static_cast<std::byte*>(weft::transport::allocateShared(100));
  CHECK(weft::transport::findShared(q, 100).serial != whole.serial);
  weft::transport::freeShared(p);
  CHECK(!weft::transport::findShared(p, 1));
  weft::transport::freeShared(q);
  CHECK_THROWS(weft::transport::freeShared(q));
  CHECK_THROWS(weft::transport::allocateShared(0));
}

TEST_CASE("PeerMaps: maps a peer's shared buffer, checks the serial and the range", "[shared]") {
  auto* p = static_cast<unsigned char*>(weft::transport::allocateShared(1 << 20));
  for (size_t i = 0; i < (1 << 20); ++i) p[i] = static_cast<unsigned char>(i * 7);
  const SharedRef ref = weft::transport::findShared(p, 1 << 20);
  const auto remote = reinterpret_cast<uint64_t>(p);
  weft::transport::shm::PeerMaps maps(1, ::getpid());
  std::byte* view = maps.find(ref, remote + 4096, 8192);
  REQUIRE(view != nullptr);
  CHECK(static_cast<const void*>(view) != static_cast<const void*>(p + 4096));  // a mapping of its own
  CHECK(std::memcmp(view, p + 4096, 8192) == 0);
  p[5000] = 0xEE;  // one memory: a write shows through the other mapping
  CHECK(static_cast<unsigned char>(view[5000 - 4096]) == 0xEE);
  CHECK(maps.find(ref, remote + (1 << 20) - 8, 16) == nullptr);   // past the end
  CHECK(maps.find(ref, remote - 8, 16) == nullptr);               // before the start
  CHECK(maps.find(SharedRef{}, remote, 16) == nullptr);           // not shared
  CHECK(maps.find(SharedRef{-1, 7}, remote, 16) == nullptr);      // no such descriptor
  view[100] = std::byte{0x5A};  // stores go through to the owner
  CHECK(p[4096 + 100] == 0x5A);
  {
    weft::transport::shm::PeerMaps other(1, ::getpid());
    CHECK(other.find(SharedRef{ref.fd, ref.serial + 1000}, remote, 16) == nullptr);  // another serial
  }

  // Freed, and a new buffer on the same descriptor number (the lowest free one): the live but
  // stale mapping is replaced by one of the new buffer.
  weft::transport::freeShared(p);
  auto* n = static_cast<unsigned char*>(weft::transport::allocateShared(4096));
  n[10] = 42;
  const SharedRef again = weft::transport::findShared(n, 4096);
  REQUIRE(again.fd == ref.fd);
  REQUIRE(again.serial != ref.serial);
  const std::byte* v2 = maps.find(again, reinterpret_cast<uint64_t>(n), 4096);
  REQUIRE(v2 != nullptr);
  CHECK(static_cast<unsigned char>(v2[10]) == 42);
  CHECK(maps.find(ref, remote, 16) == nullptr);  // the old buffer: gone with its serial
  weft::transport::freeShared(n);
}

TEST_CASE("PeerMaps: at most a few mappings, the least recently used one goes", "[shared]") {
  weft::transport::shm::PeerMaps maps(1, ::getpid());
  std::vector<unsigned char*> bufs;
  for (int i = 0; i < 40; ++i) {
    auto* b = static_cast<unsigned char*>(weft::transport::allocateShared(4096));
    b[0] = static_cast<unsigned char>(i);
    bufs.push_back(b);
    const std::byte* v = maps.find(weft::transport::findShared(b, 1), reinterpret_cast<uint64_t>(b), 1);
    REQUIRE(v != nullptr);
    CHECK(static_cast<unsigned char>(v[0]) == i);
  }
  // Each buffer once by its owner, and the peer's mappings of the last few only.
  std::ifstream maps_file("/proc/self/maps");
  int mappings = 0;
  for (std::string line; std::getline(maps_file, line);) mappings += line.find("weft-shared-buffer") != std::string::npos;
  CHECK(mappings >= 40);
  CHECK(mappings <= 40 + 16);
  for (auto* b : bufs) weft::transport::freeShared(b);
}

namespace {

weft::transport::shm::Address goodAddress() {
  weft::transport::shm::Address a{};
  a.magic = weft::transport::shm::kAddressMagic;
  a.pid = 4711;
  a.rank = 1;
  a.slots = 8;
  a.slotBytes = 65536;
  std::strcpy(a.name, "/weft-4711-0123456789abcdef-1");
  return a;
}

std::string refusal(const weft::transport::shm::Address& a, int peer = 1) {
  try {
    weft::transport::shm::decodeAddress(weft::transport::shm::encodeAddress(a), peer);
  } catch (const weft::InvalidArgument& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("shm address: a good one round-trips, a bad one is refused saying why", "[shm]") {
  namespace shm = weft::transport::shm;
  const shm::Address back = shm::decodeAddress(shm::encodeAddress(goodAddress()), 1);
  CHECK(back.pid == 4711);
  CHECK(std::string(back.name) == "/weft-4711-0123456789abcdef-1");

  CHECK_THAT(refusal(goodAddress(), 2), Catch::Contains("from rank 2: it says rank 1"));
  auto a = goodAddress();
  a.magic = 0;
  CHECK_THAT(refusal(a), Catch::Contains("not a weft shm address"));
  a = goodAddress();
  a.pid = -3;
  CHECK_THAT(refusal(a), Catch::Contains("process id -3"));
  a = goodAddress();
  std::memset(a.name, 'x', sizeof(a.name));
  CHECK_THAT(refusal(a), Catch::Contains("not terminated"));
  for (const char* name : {"/etc-passwd", "/weft-1/../x", "weft-1", ""}) {
    a = goodAddress();
    std::memset(a.name, 0, sizeof(a.name));
    std::strcpy(a.name, name);
    INFO(name);
    CHECK_THAT(refusal(a), Catch::Contains("is not weft's"));
  }
  const std::vector<std::byte> shortBlob(10);
  CHECK_THROWS_WITH(shm::decodeAddress(shortBlob, 1), Catch::Contains("10 bytes, not 136"));
}
