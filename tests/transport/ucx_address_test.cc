// SPDX-License-Identifier: Apache-2.0
// The UCX transport's address blob: a good one round-trips, a bad one is refused saying why
// before UCX sees its worker address. Needs no UCX: runs in every build.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "transport/ucx/address.h"

namespace ucx = weft::transport::ucx;

namespace {

ucx::AddressHeader goodHeader() {
  ucx::AddressHeader h{};
  h.rank = 1;
  h.slots = 8;
  h.slotBytes = 65536;
  h.tagHash = 0x1122334455667788ull;
  h.hostHash = 42;
  h.pid = 4711;
  return h;
}

const std::vector<std::byte> kWorker(37, std::byte{0xab});

// The refusal's message, or "" when the blob is accepted.
std::string refusal(const std::vector<std::byte>& blob, int peer = 1) {
  try {
    ucx::decodeAddress(blob, peer);
  } catch (const weft::InvalidArgument& e) {
    return e.what();
  }
  return "";
}

// The blob of goodHeader() after `edit` changed its header bytes.
template <class Edit>
std::vector<std::byte> edited(Edit edit) {
  auto blob = ucx::encodeAddress(goodHeader(), kWorker);
  ucx::AddressHeader h;
  std::memcpy(&h, blob.data(), sizeof(h));
  edit(h);
  std::memcpy(blob.data(), &h, sizeof(h));
  return blob;
}

}  // namespace

TEST_CASE("ucx address: a good one round-trips, a bad one is refused saying why", "[ucx]") {
  const auto blob = ucx::encodeAddress(goodHeader(), kWorker);
  const ucx::Address a = ucx::decodeAddress(blob, 1);
  CHECK(a.header.pid == 4711);
  CHECK(a.header.slotBytes == 65536);
  CHECK(a.header.tagHash == 0x1122334455667788ull);
  CHECK(std::vector<std::byte>(a.worker.begin(), a.worker.end()) == kWorker);
  CHECK(a.worker.data() == blob.data() + sizeof(ucx::AddressHeader));

  CHECK_THAT(refusal(blob, 2), Catch::Contains("from rank 2: it says rank 1"));
  CHECK_THAT(refusal(edited([](auto& h) { h.magic = 0; })), Catch::Contains("not a weft UCX address"));
  CHECK_THAT(refusal(edited([](auto& h) { h.version = 2; })), Catch::Contains("not a weft UCX address"));
  CHECK_THAT(refusal(edited([](auto& h) { h.pid = 0; })), Catch::Contains("process id 0"));
  CHECK_THAT(refusal(edited([](auto& h) { h.pid = -1; })), Catch::Contains("process id -1"));
  CHECK_THAT(refusal(edited([](auto& h) { h.addrBytes = 38; })),
             Catch::Contains("worker address has 37 bytes, the header says 38"));
  CHECK_THAT(refusal(edited([](auto& h) { h.addrBytes = 0xffffffff; })), Catch::Contains("the header says 4294967295"));
  // An empty worker address would have UCX read past the blob.
  CHECK_THAT(refusal(ucx::encodeAddress(goodHeader(), {})), Catch::Contains("worker address has 0 bytes"));
  auto shorter = blob;
  shorter.resize(sizeof(ucx::AddressHeader) - 1);
  CHECK_THAT(refusal(shorter), Catch::Contains("47 bytes, fewer than its header"));
  CHECK_THAT(refusal({}), Catch::Contains("0 bytes, fewer than its header"));
}
