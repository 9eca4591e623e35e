// SPDX-License-Identifier: Apache-2.0
// What the TCP transport puts on the wire: the address blob, the hello that opens every
// connection, and the header in front of every message. Native byte order (ranks of one job
// share an architecture).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "common/auth.h"
#include "transport/tcp/socket.h"

namespace weft::transport::tcp {

inline constexpr uint32_t kAddressMagic = 0x57544341;  // "WTCA"
inline constexpr uint32_t kHelloMagic = 0x57544348;    // "WTCH"
inline constexpr uint16_t kWireVersion = 3;  // 2: stamped message headers; 3: with a check word

// The listen() blob, published through the store.
struct AddressBlob {
  uint32_t magic = kAddressMagic;
  uint16_t version = kWireVersion;
  uint16_t family = 0;  // AF_INET or AF_INET6
  uint16_t port = 0;
  uint16_t nsocks = 0;
  int32_t rank = 0;
  uint32_t slots = 0;
  uint32_t reserved = 0;
  uint64_t slotBytes = 0;
  uint8_t addr[16] = {};  // network order
};

// The first bytes on every connection, sent by the higher rank (the connector), which then
// reads a Challenge and answers with its proof (Note [Job secret] in common/auth.h).
struct Hello {
  uint32_t magic = kHelloMagic;
  uint16_t version = kWireVersion;
  uint16_t index = 0;    // which of the nsocks sockets of the pair this is
  int32_t rank = 0;      // the sender
  uint32_t slots = 0;
  uint64_t tagHash = 0;  // fnv1a(jobTag)
  uint64_t slotBytes = 0;
  uint32_t nsocks = 0;
  uint32_t reserved = 0;
  auth::Nonce nonce{};  // the connector's
};

// The acceptor's answer to a valid Hello: its nonce and its proof.
struct Challenge {
  auth::Nonce nonce{};
  Digest proof{};
};
inline constexpr std::string_view kAuthTag = "tcp";

// In front of every message's payload.
struct MsgHeader {
  uint64_t seq;       // message number in this direction, from 0
  uint64_t bytes;     // payload length
  uint64_t stamp[2];  // the message's Stamp (Note [Stamps] in transport/transport.h)
  uint64_t check;     // headerCheck() of the fields above
};
inline constexpr size_t kHeaderBytes = sizeof(MsgHeader);

// A header whose length was garbled but still fits a slot would make the receiver wait for
// payload that never comes, until WEFT_TIMEOUT, with no word of corruption (found by the fault
// trials, docs/faults.md). Each field times an odd constant is a bijection, so a header that
// differs from the one checked in any single field (any number of its bits) fails the check.
// Not a defence against an attacker (the job secret is), only against corruption.
inline uint64_t headerCheck(const MsgHeader& h) {
  return (h.seq * 0x9e3779b97f4a7c15ull) ^ (h.bytes * 0xc2b2ae3d27d4eb4full) ^ (h.stamp[0] * 0x165667b19e3779f9ull) ^
         (h.stamp[1] * 0xd6e8feb86659fd93ull) ^ 0x7765667463686b31ull;
}

std::vector<std::byte> encodeAddress(const AddressBlob& a);
// nullopt for a blob of the wrong size, magic or version.
std::optional<AddressBlob> decodeAddress(std::span<const std::byte> blob);
SockAddr toSockAddr(const AddressBlob& a);

}  // namespace weft::transport::tcp
