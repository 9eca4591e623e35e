// SPDX-License-Identifier: Apache-2.0
// Encoding and checking the shared-memory transport's address blob.
#include "transport/shm/address.h"

#include <cstring>
#include <string_view>

#include "common/error.h"

namespace weft::transport::shm {

std::vector<std::byte> encodeAddress(const Address& a) {
  std::vector<std::byte> blob(sizeof(a));
  std::memcpy(blob.data(), &a, sizeof(a));
  return blob;
}

Address decodeAddress(std::span<const std::byte> blob, int peer) {
  const auto bad = [peer](const std::string& why) {
    return InvalidArgument("malformed shm address from rank " + std::to_string(peer) + ": " + why);
  };
  Address a;
  if (blob.size() != sizeof(a)) throw bad(std::to_string(blob.size()) + " bytes, not " + std::to_string(sizeof(a)));
  std::memcpy(&a, blob.data(), sizeof(a));
  if (a.magic != kAddressMagic) throw bad("not a weft shm address");
  if (a.rank != peer) throw bad("it says rank " + std::to_string(a.rank));
  if (a.pid <= 0) throw bad("process id " + std::to_string(a.pid));
  const void* end = std::memchr(a.name, '\0', sizeof(a.name));
  if (end == nullptr) throw bad("the segment name is not terminated");
  const std::string_view name(a.name);
  if (name.substr(0, 6) != "/weft-" || name.find('/', 1) != std::string_view::npos) {
    throw bad("segment name '" + std::string(name) + "' is not weft's");
  }
  return a;
}

}  // namespace weft::transport::shm
