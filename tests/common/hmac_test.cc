// SPDX-License-Identifier: Apache-2.0
// SHA-256 and HMAC-SHA256 against published vectors (FIPS 180-4 examples, RFC 4231), and the
// job-secret proofs built on them (Note [Job secret]).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/auth.h"
#include "common/hmac.h"

namespace {

std::span<const uint8_t> bytes(const std::string& s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

std::string hex(const weft::Digest& d) { return weft::auth::toHex(d); }  // a Digest is a Secret's shape

}  // namespace

TEST_CASE("sha256: FIPS 180-4 examples and block boundaries", "[auth]") {
  CHECK(hex(weft::sha256(bytes(""))) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex(weft::sha256(bytes("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex(weft::sha256(bytes("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string million(1000000, 'a');
  CHECK(hex(weft::sha256(bytes(million))) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  // Fed in uneven pieces, the digest is the same.
  weft::Sha256 s;
  for (size_t i = 0; i < million.size();) {
    const size_t n = std::min<size_t>(1 + i % 97, million.size() - i);
    s.update(bytes(million.substr(i, n)));
    i += n;
  }
  CHECK(hex(s.finish()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("hmac-sha256: RFC 4231 test cases 1, 2, 6 and 7", "[auth]") {
  const std::string key1(20, '\x0b');
  CHECK(hex(weft::hmacSha256(bytes(key1), {bytes("Hi There")})) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  CHECK(hex(weft::hmacSha256(bytes("Jefe"), {bytes("what do ya want "), bytes("for nothing?")})) ==
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  const std::string longKey(131, '\xaa');  // longer than a block: hashed first
  CHECK(hex(weft::hmacSha256(bytes(longKey), {bytes("Test Using Larger Than Block-Size Key - Hash Key First")})) ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
  CHECK(hex(weft::hmacSha256(bytes(longKey),
                             {bytes("This is a test using a larger than block-size key and a larger than block-size data. "
                                    "The key needs to be hashed before being used by the HMAC algorithm.")})) ==
        "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("auth: proofs depend on the secret, the role, the tag and both nonces", "[auth]") {
  using namespace weft::auth;
  const Secret secret = randomBytes(), other = randomBytes();
  const Nonce a = randomBytes(), b = randomBytes();
  const weft::Digest p = proof(secret, Role::Acceptor, "tcp", a, b);
  CHECK(weft::equalDigests(p, proof(secret, Role::Acceptor, "tcp", a, b)));
  CHECK_FALSE(weft::equalDigests(p, proof(other, Role::Acceptor, "tcp", a, b)));
  CHECK_FALSE(weft::equalDigests(p, proof(secret, Role::Connector, "tcp", a, b)));  // no reflection
  CHECK_FALSE(weft::equalDigests(p, proof(secret, Role::Acceptor, "store", a, b)));  // nor across protocols
  CHECK_FALSE(weft::equalDigests(p, proof(secret, Role::Acceptor, "tcp", b, a)));
  CHECK_FALSE(weft::equalDigests(p, proof(secret, Role::Acceptor, "tcp", a, randomBytes())));
}

TEST_CASE("auth: secrets as hex, and derived ones", "[auth]") {
  using namespace weft::auth;
  const Secret s = randomBytes();
  REQUIRE(parseHex(toHex(s)) == s);
  std::string upper = toHex(s);
  for (char& c : upper) c = char(std::toupper(static_cast<unsigned char>(c)));
  CHECK(parseHex(upper) == s);
  CHECK_FALSE(parseHex(toHex(s).substr(1)));
  CHECK_FALSE(parseHex(toHex(s) + "0"));
  CHECK_FALSE(parseHex(std::string(64, 'g')));
  CHECK(derived("job-1") == derived("job-1"));
  CHECK(derived("job-1") != derived("job-2"));
}
