// SPDX-License-Identifier: Apache-2.0
// Encoding and checking the bytes of a weftUniqueId.
#include "runtime/unique_id.h"

#include <algorithm>
#include <cstring>
#include <string_view>

#include "common/error.h"

namespace weft::runtime {
namespace {

struct Layout {
  uint32_t magic;
  uint16_t port;
  char host[64];
  uint8_t secret[32];
};
static_assert(sizeof(Layout) <= kUniqueIdBytes);
constexpr uint32_t kMagic = 0x57554932;  // "WUI2": with the secret

// The NUL-terminated text at the start of `field`, refused if it is not terminated, empty or
// holds anything but printable ASCII (it is resolved as a host name and quoted in messages).
template <size_t N>
std::string text(const char (&field)[N], const char* what) {
  const void* end = std::memchr(field, '\0', N);
  if (end == nullptr) throw InvalidArgument(std::string("the unique id's ") + what + " is not terminated");
  const std::string_view s(field, size_t(static_cast<const char*>(end) - field));
  if (s.empty()) throw InvalidArgument(std::string("the unique id has no ") + what);
  if (!std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7f; })) {
    throw InvalidArgument(std::string("the unique id's ") + what + " holds unprintable characters");
  }
  return std::string(s);
}

}  // namespace

std::string UniqueId::key() const {
  Sha256 h;
  static constexpr char kWhat[] = "weft store key from the job secret\n";
  h.update({reinterpret_cast<const uint8_t*>(kWhat), sizeof(kWhat) - 1});
  h.update(secret);
  const Digest d = h.finish();
  auth::Secret half{};
  std::memcpy(half.data(), d.data(), 16);
  return auth::toHex(half).substr(0, 32);
}

void encodeUniqueId(const UniqueId& u, char (&id)[kUniqueIdBytes]) {
  Layout d{};
  if (u.host.size() >= sizeof(d.host)) throw InvalidArgument("host '" + u.host + "' is too long for a unique id");
  d.magic = kMagic;
  d.port = u.port;
  std::memcpy(d.host, u.host.data(), u.host.size());
  std::memcpy(d.secret, u.secret.data(), u.secret.size());
  std::memset(id, 0, sizeof(id));
  std::memcpy(id, &d, sizeof(d));
}

UniqueId decodeUniqueId(const char (&id)[kUniqueIdBytes]) {
  Layout d;
  std::memcpy(&d, id, sizeof(d));
  if (d.magic != kMagic) throw InvalidArgument("the unique id was not made by weftGetUniqueId");
  UniqueId u{text(d.host, "host"), d.port, {}};
  std::memcpy(u.secret.data(), d.secret, u.secret.size());
  if (u.port == 0) throw InvalidArgument("the unique id names port 0");
  return u;
}

}  // namespace weft::runtime
