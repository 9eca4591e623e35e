// SPDX-License-Identifier: Apache-2.0
// The TCP store's binary protocol: framing, limits and parsing shared by client and server.
//
// Note [TCP store protocol]
// All integers are little-endian. A client sends one request and reads its reply before the
// next (one request in flight per connection).
//   request: u8 cmd | u32 timeoutMs | u32 argc | argc x (u32 len | len bytes)
//   reply:   u8 status | u32 len | len bytes
// The first request must be Hello(kMagic, jobKey, Nc); a job-key mismatch is answered with
// Rejected and the connection is closed, else Ok with the server's nonce and proof (Na | Pa,
// Note [Job secret] in common/auth.h). The second must be Auth(Pc): Ok, or Rejected and closed
// when the client does not know the job's secret. Nothing else is read before that. Get and Wait block on the server until their keys
// exist or timeoutMs (kNoTimeout: none) passes, then answer Ok (Get: the value) or Timeout
// (Wait: u32 indexes of the keys still missing). Add carries an 8-byte delta and answers the new
// value as 8 bytes, or BadValue with a message. The server closes a connection that sends a
// malformed frame: an unknown command, a wrong argument count, or a length over the limits.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/auth.h"
#include "runtime/store/key_util.h"

namespace weft::store::wire {

enum class Cmd : uint8_t { Hello = 1, Set = 2, Get = 3, Add = 4, Wait = 5, Auth = 6 };
enum class Status : uint8_t { Ok = 0, Timeout = 1, Rejected = 2, BadValue = 3 };

inline constexpr std::string_view kMagic = "weft-store/2";  // 2: the secret's handshake
inline constexpr std::string_view kAuthTag = "store";
inline constexpr size_t kNonceBytes = 32, kProofBytes = 32;
inline constexpr uint32_t kNoTimeout = 0xffffffffu;
inline constexpr size_t kRequestHeaderBytes = 9;
inline constexpr size_t kReplyHeaderBytes = 5;
// No reply carries more than a value (Wait's index list and messages are far smaller).
inline constexpr size_t kMaxReplyPayload = detail::kMaxValueBytes;

struct Request {
  Cmd cmd = Cmd::Hello;
  uint32_t timeoutMs = 0;
  std::vector<std::string> args;
};

enum class Parse { NeedMore, Malformed, Complete };

// Parses one request at the front of buf. Limits are checked as soon as each length field is
// available, so a caller that buffers only until Complete/Malformed never holds more than one
// request's worth of (bounded) bytes. Before the greeting (greeted false) only Hello and Auth
// are accepted, after it neither, so a stranger cannot make the server buffer a value.
// On Complete, fills *out and *consumed.
Parse parseRequest(std::string_view buf, bool greeted, Request* out, size_t* consumed);

std::string encodeRequest(Cmd cmd, uint32_t timeoutMs, const std::vector<std::string_view>& args);
std::string encodeReply(Status status, std::string_view payload);

// The client's side: what it makes of the server's replies. The status is the byte as sent, since
// a corrupt, hostile or newer server may send any value.
struct ReplyHeader {
  uint8_t status = 0;
  uint32_t payloadBytes = 0;
};
// The reply header at the front of `buf`; nullopt when `buf` is shorter than kReplyHeaderBytes or
// the header announces more than kMaxReplyPayload (the client then drops the connection rather
// than allocate what it was told).
std::optional<ReplyHeader> parseReplyHeader(std::string_view buf);
// An Add's new value: from an Ok reply of exactly 8 bytes, else nullopt.
std::optional<int64_t> parseAddResult(uint8_t status, std::string_view payload);
// The keys a Timeout reply to a Wait for `keys` keys names as missing: each index below `keys`
// once, in the order first named. Other indexes and a trailing partial one are ignored, so the
// result never holds more than `keys` entries whatever the payload's length.
std::vector<uint32_t> parseMissingKeys(std::string_view payload, size_t keys);

// The fixed-size arguments of the handshake, as parseRequest checked their sizes.
auth::Nonce asNonce(std::string_view bytes);
Digest asDigest(std::string_view bytes);

void putU32(std::string& out, uint32_t v);
void putI64(std::string& out, int64_t v);
uint32_t getU32(const char* p);
int64_t getI64(const char* p);

}  // namespace weft::store::wire
