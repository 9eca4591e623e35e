// SPDX-License-Identifier: Apache-2.0
// Encoding and checking the UCX transport's address blob.
#include "transport/ucx/address.h"

#include <cstring>
#include <string>

#include "common/error.h"

namespace weft::transport::ucx {

static_assert(sizeof(AddressHeader) == 48, "no padding: the header is copied as bytes");

std::vector<std::byte> encodeAddress(AddressHeader h, std::span<const std::byte> worker) {
  h.magic = kAddressMagic;
  h.version = kAddressVersion;
  h.addrBytes = uint32_t(worker.size());
  std::vector<std::byte> blob(sizeof(h) + worker.size());
  std::memcpy(blob.data(), &h, sizeof(h));
  if (!worker.empty()) std::memcpy(blob.data() + sizeof(h), worker.data(), worker.size());
  return blob;
}

Address decodeAddress(std::span<const std::byte> blob, int peer) {
  const auto bad = [peer](const std::string& why) {
    return InvalidArgument("ucx: malformed address from rank " + std::to_string(peer) + ": " + why);
  };
  Address a{};
  AddressHeader& h = a.header;
  if (blob.size() < sizeof(h)) throw bad(std::to_string(blob.size()) + " bytes, fewer than its header");
  std::memcpy(&h, blob.data(), sizeof(h));
  if (h.magic != kAddressMagic || h.version != kAddressVersion) throw bad("not a weft UCX address of this version");
  if (h.rank != peer) throw bad("it says rank " + std::to_string(h.rank));
  // A same-host peer's pid is watched for liveness: 0 would watch nothing, and kill() reads a
  // negative one as a process group.
  if (h.pid <= 0) throw bad("process id " + std::to_string(h.pid));
  const size_t rest = blob.size() - sizeof(h);
  // An empty worker address would have UCX read past the blob.
  if (h.addrBytes == 0 || h.addrBytes != rest) {
    throw bad("its worker address has " + std::to_string(rest) + " bytes, the header says " +
              std::to_string(h.addrBytes));
  }
  a.worker = blob.subspan(sizeof(h));
  return a;
}

}  // namespace weft::transport::ucx
