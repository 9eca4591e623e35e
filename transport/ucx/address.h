// SPDX-License-Identifier: Apache-2.0
// What a UCX transport publishes at listen() and a peer checks at connect() (Note [UCX set-up]).
// Needs no UCX headers, so every build checks and fuzzes it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace weft::transport::ucx {

// Fixed size, plain bytes; UCX's worker address follows it in the blob.
struct AddressHeader {
  uint32_t magic;
  uint16_t version;
  uint16_t reserved;
  int32_t rank;
  uint32_t slots;
  uint64_t slotBytes;
  uint64_t tagHash;   // fnv1a of the job tag
  uint64_t hostHash;  // fnv1a of the host identity
  int32_t pid;
  uint32_t addrBytes;  // the worker address's size
};
inline constexpr uint32_t kAddressMagic = 0x58435557;  // "WUCX"
inline constexpr uint16_t kAddressVersion = 1;

struct Address {
  AddressHeader header;
  std::span<const std::byte> worker;  // UCX's worker address, inside the decoded blob
};

// `h` with its magic, version and addrBytes filled in, then `worker`.
std::vector<std::byte> encodeAddress(AddressHeader h, std::span<const std::byte> worker);

// Rank `peer`'s blob, checked before anything in it is used: its magic and version, the rank it
// claims, a positive pid, and a worker address that is not empty and fills the rest of the blob
// exactly. Throws InvalidArgument naming the peer and what is wrong. The job tag and slot
// settings are compared by the caller, which knows its own. What the worker address holds is
// UCX's to parse (ucp_ep_create takes no length), so only its size can be checked here.
Address decodeAddress(std::span<const std::byte> blob, int peer);

}  // namespace weft::transport::ucx
