// SPDX-License-Identifier: Apache-2.0
// The bytes of a weftUniqueId: round trip, and every malformed field refused before a connection
// is tried with it.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "common/error.h"
#include "runtime/unique_id.h"

namespace rt = weft::runtime;

namespace {

struct Id {
  char bytes[rt::kUniqueIdBytes];
};

Id encoded(const rt::UniqueId& u) {
  Id id;
  rt::encodeUniqueId(u, id.bytes);
  return id;
}

const rt::UniqueId kGood{"10.0.0.7", 29500, weft::auth::derived("unique id test")};

rt::UniqueId with(std::string host, uint16_t port) { return {std::move(host), port, kGood.secret}; }

// The refusal's message, or "" when the id is accepted.
std::string refusal(const Id& id) {
  try {
    rt::decodeUniqueId(id.bytes);
  } catch (const weft::InvalidArgument& e) {
    return e.what();
  }
  return "";
}

// Field offsets in the id: magic (4), port (2), host (64), secret (32).
constexpr size_t kHost = 6;

}  // namespace

TEST_CASE("unique ids round-trip and malformed ones are refused saying why", "[init]") {
  const rt::UniqueId back = rt::decodeUniqueId(encoded(kGood).bytes);
  CHECK(back.host == kGood.host);
  CHECK(back.port == 29500);
  CHECK(back.secret == kGood.secret);
  CHECK(back.key() == kGood.key());
  // The store's job key is derived from the secret, and shows nothing of it.
  CHECK(kGood.key().size() == 32);
  CHECK(kGood.key() != weft::auth::toHex(kGood.secret).substr(0, 32));
  CHECK(rt::UniqueId{"h", 1, weft::auth::derived("another")}.key() != kGood.key());

  Id zeros{};
  CHECK_THAT(refusal(zeros), Catch::Contains("not made by weftGetUniqueId"));
  Id id = encoded(kGood);
  std::memset(id.bytes + kHost, 'h', 64);  // before, silently cut to 63 bytes: another host
  CHECK_THAT(refusal(id), Catch::Contains("host is not terminated"));
  CHECK_THAT(refusal(encoded(with("", 29500))), Catch::Contains("has no host"));
  CHECK_THAT(refusal(encoded(with("h\n", 29500))), Catch::Contains("host holds unprintable characters"));
  CHECK_THAT(refusal(encoded(with("h", 0))), Catch::Contains("port 0"));

  Id out;
  CHECK_THROWS_AS(rt::encodeUniqueId(with(std::string(64, 'h'), 1), out.bytes), weft::InvalidArgument);
  CHECK(rt::decodeUniqueId(encoded(with(std::string(63, 'h'), 1)).bytes).host.size() == 63);
}
