// SPDX-License-Identifier: Apache-2.0
// The bootstrap identity record: round trip, and every malformed length refused naming the rank.
#include <catch2/catch.hpp>

#include <string>

#include "common/error.h"
#include "runtime/identity.h"

using weft::runtime::Identity;

TEST_CASE("identity records round-trip and malformed ones are refused", "[bootstrap]") {
  const std::string gpu = "GPU-0123456789ab";  // a UUID's 16 bytes
  const std::string cpus("\x0f\x00\x01", 3);  // CPUs 0-3 and 16
  const Identity id{"vm/0c7490b3", 4711, 0x1122334455667788ull, 42, 7, gpu, cpus};
  const auto bytes = id.encode();
  const Identity back = Identity::decode(bytes, 2);
  CHECK(back.host == id.host);
  CHECK(back.pid == 4711);
  CHECK(back.choosing == id.choosing);
  CHECK(back.transports == 42);
  CHECK(back.ucxNet == 7);
  CHECK(back.gpu == gpu);
  CHECK(back.cpus == cpus);

  auto shorter = bytes;
  shorter.pop_back();
  CHECK_THROWS_WITH(Identity::decode(shorter, 2), Catch::Contains("malformed identity record from rank 2"));
  auto longer = bytes;
  longer.push_back(0);
  CHECK_THROWS_AS(Identity::decode(longer, 2), weft::RemoteError);
  CHECK_THROWS_AS(Identity::decode({}, 2), weft::RemoteError);
  const Identity huge{std::string(Identity::kMaxHostBytes + 1, 'h'), 1, 0, 0, 0, "", ""};
  CHECK_THROWS_AS(Identity::decode(huge.encode(), 2), weft::RemoteError);
  const Identity manyCpus{"h", 1, 0, 0, 0, "", std::string(Identity::kMaxCpuBytes + 1, '\x01')};
  CHECK_THROWS_AS(Identity::decode(manyCpus.encode(), 2), weft::RemoteError);
  auto cpusCut = bytes;  // the mask's length says one byte more than the record holds
  cpusCut[Identity::kFixed - 4] = 4;
  CHECK_THROWS_AS(Identity::decode(cpusCut, 2), weft::RemoteError);
  const Identity empty{"", 1, 0, 0, 0, "", ""};
  CHECK(Identity::decode(empty.encode(), 0).host.empty());
  CHECK(Identity::decode(empty.encode(), 0).gpu.empty());  // no GPU: sixteen zeros
}
