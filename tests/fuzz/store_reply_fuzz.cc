// SPDX-License-Identifier: Apache-2.0
// Fuzz target: what a store server (or a stranger posing as one) sends a client on a connection,
// read as TcpStore reads it: a reply header (parseReplyHeader), then its payload, then the next,
// until a header is refused or the bytes run out. Each reply is read as an Add's result and as a
// Wait's missing keys for a few key counts; neither may claim more than the reply holds.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "runtime/store/tcp_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace wire = weft::store::wire;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  while (const auto h = wire::parseReplyHeader(in)) {
    if (h->payloadBytes > wire::kMaxReplyPayload) __builtin_trap();
    in.remove_prefix(wire::kReplyHeaderBytes);
    if (in.size() < h->payloadBytes) break;  // the connection closed mid-reply
    const std::string_view payload = in.substr(0, h->payloadBytes);
    in.remove_prefix(h->payloadBytes);
    if (wire::parseAddResult(h->status, payload) && payload.size() != 8) __builtin_trap();
    for (size_t keys : {size_t{0}, size_t{1}, size_t{3}, size_t{1024}}) {
      const std::vector<uint32_t> missing = wire::parseMissingKeys(payload, keys);
      std::vector<bool> seen(keys);
      if (missing.size() > keys || missing.size() > payload.size() / 4) __builtin_trap();
      for (uint32_t i : missing) {
        if (i >= keys || seen[i]) __builtin_trap();
        seen[i] = true;
      }
    }
  }
  return 0;
}
