// SPDX-License-Identifier: Apache-2.0
// Nonces, proofs and secrets (Note [Job secret]).
#include "common/auth.h"

#include <sys/random.h>

#include <cerrno>
#include <cstring>

#include "common/error.h"

namespace weft::auth {
namespace {

std::span<const uint8_t> bytesOf(std::string_view s) { return {reinterpret_cast<const uint8_t*>(s.data()), s.size()}; }

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

Nonce randomBytes() {
  Nonce n;
  for (size_t got = 0; got < n.size();) {
    const ssize_t r = ::getrandom(n.data() + got, n.size() - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw SystemError("getrandom failed", errno);
    }
    got += size_t(r);
  }
  return n;
}

Digest proof(const Secret& secret, Role role, std::string_view tag, const Nonce& mine, const Nonce& theirs) {
  const std::string_view who = role == Role::Acceptor ? "weft acceptor" : "weft connector";
  // Lengths are fixed but for the tag, which goes last before the nonces with its own length.
  const uint8_t tagLength = uint8_t(tag.size());
  // The acceptor's proof covers (Nc, Na), the connector's (Na, Nc): each covers the other's
  // nonce first, so neither can be computed before the other side's nonce is known.
  return hmacSha256(secret, {bytesOf(who), {&tagLength, 1}, bytesOf(tag), theirs, mine});
}

Secret derived(std::string_view jobId) {
  Sha256 h;
  h.update(bytesOf("weft job secret derived from the job id\n"));
  h.update(bytesOf(jobId));
  return h.finish();
}

std::optional<Secret> parseHex(std::string_view text) {
  Secret s;
  if (text.size() != 2 * s.size()) return std::nullopt;
  for (size_t i = 0; i < s.size(); ++i) {
    const int hi = hexValue(text[2 * i]), lo = hexValue(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    s[i] = uint8_t(hi << 4 | lo);
  }
  return s;
}

std::string toHex(const Secret& s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : s) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

}  // namespace weft::auth
