// SPDX-License-Identifier: Apache-2.0
// What a shared-memory transport publishes at listen() and a peer checks at connect().
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace weft::transport::shm {

// Fixed size, plain bytes.
struct Address {
  uint32_t magic;
  int32_t pid;
  int32_t rank;
  uint32_t slots;
  uint64_t slotBytes;
  uint64_t probe;       // probeAddress(), or 0: this rank does not take part in peer reads
  uint64_t probeValue;  // what a peer must read there
  char name[96];        // the segment's POSIX shm name, NUL-terminated
};
inline constexpr uint32_t kAddressMagic = 0x5745534d;  // "WESM"

std::vector<std::byte> encodeAddress(const Address& a);

// Rank `peer`'s address, checked before anything in it is used: its size and magic, the rank it
// claims, a positive pid, and a segment name of weft's form ("/weft-...", NUL-terminated, no
// further '/'). Throws InvalidArgument naming the peer and what is wrong. The slot settings are
// compared by the caller, which knows its own.
Address decodeAddress(std::span<const std::byte> blob, int peer);

}  // namespace weft::transport::shm
