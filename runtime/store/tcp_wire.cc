// SPDX-License-Identifier: Apache-2.0
// Encoding and bounded parsing of TCP store frames; see Note [TCP store protocol].
#include "runtime/store/tcp_wire.h"

#include <algorithm>
#include <cstring>

namespace weft::store::wire {

void putU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

void putI64(std::string& out, int64_t v) {
  auto u = static_cast<uint64_t>(v);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xff));
}

uint32_t getU32(const char* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

int64_t getI64(const char* p) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return static_cast<int64_t>(v);
}

auth::Nonce asNonce(std::string_view bytes) {
  auth::Nonce n{};
  std::memcpy(n.data(), bytes.data(), std::min(bytes.size(), n.size()));
  return n;
}

Digest asDigest(std::string_view bytes) {
  Digest d{};
  std::memcpy(d.data(), bytes.data(), std::min(bytes.size(), d.size()));
  return d;
}

namespace {
// Argument count bounds and per-argument length bounds for each command; false if unknown.
bool argCountOk(Cmd cmd, uint32_t argc) {
  switch (cmd) {
    case Cmd::Hello: return argc == 3;
    case Cmd::Set:
    case Cmd::Add: return argc == 2;
    case Cmd::Get:
    case Cmd::Auth: return argc == 1;
    case Cmd::Wait: return argc >= 1 && argc <= detail::kMaxWaitKeys;
  }
  return false;
}

bool argLengthOk(Cmd cmd, uint32_t index, uint32_t len) {
  bool isKey = len >= 1 && len <= detail::kMaxKeyBytes;
  switch (cmd) {
    case Cmd::Hello: return index == 0 ? len == kMagic.size() : index == 1 ? len <= detail::kMaxKeyBytes : len == kNonceBytes;
    case Cmd::Auth: return len == kProofBytes;
    case Cmd::Set: return index == 0 ? isKey : len <= detail::kMaxValueBytes;
    case Cmd::Add: return index == 0 ? isKey : len == 8;
    case Cmd::Get:
    case Cmd::Wait: return isKey;
  }
  return false;
}

bool knownCmd(uint8_t c) { return c >= static_cast<uint8_t>(Cmd::Hello) && c <= static_cast<uint8_t>(Cmd::Auth); }
bool greeting(Cmd c) { return c == Cmd::Hello || c == Cmd::Auth; }
}  // namespace

Parse parseRequest(std::string_view buf, bool greeted, Request* out, size_t* consumed) {
  if (buf.empty()) return Parse::NeedMore;
  if (!knownCmd(static_cast<uint8_t>(buf[0]))) return Parse::Malformed;
  if (greeted == greeting(static_cast<Cmd>(buf[0]))) return Parse::Malformed;
  if (buf.size() < kRequestHeaderBytes) return Parse::NeedMore;
  auto cmd = static_cast<Cmd>(buf[0]);
  uint32_t argc = getU32(buf.data() + 5);
  if (!argCountOk(cmd, argc)) return Parse::Malformed;
  // First pass: validate lengths without copying, so NeedMore costs no allocation.
  size_t pos = kRequestHeaderBytes;
  for (uint32_t i = 0; i < argc; ++i) {
    if (buf.size() < pos + 4) return Parse::NeedMore;
    uint32_t len = getU32(buf.data() + pos);
    if (!argLengthOk(cmd, i, len)) return Parse::Malformed;
    pos += 4 + len;
    if (buf.size() < pos) return Parse::NeedMore;
  }
  out->cmd = cmd;
  out->timeoutMs = getU32(buf.data() + 1);
  out->args.clear();
  out->args.reserve(argc);
  pos = kRequestHeaderBytes;
  for (uint32_t i = 0; i < argc; ++i) {
    uint32_t len = getU32(buf.data() + pos);
    out->args.emplace_back(buf.substr(pos + 4, len));
    pos += 4 + len;
  }
  *consumed = pos;
  return Parse::Complete;
}

std::string encodeRequest(Cmd cmd, uint32_t timeoutMs, const std::vector<std::string_view>& args) {
  size_t total = kRequestHeaderBytes;
  for (auto a : args) total += 4 + a.size();
  std::string out;
  out.reserve(total);
  out.push_back(static_cast<char>(cmd));
  putU32(out, timeoutMs);
  putU32(out, static_cast<uint32_t>(args.size()));
  for (auto a : args) {
    putU32(out, static_cast<uint32_t>(a.size()));
    out.append(a);
  }
  return out;
}

std::string encodeReply(Status status, std::string_view payload) {
  std::string out;
  out.reserve(kReplyHeaderBytes + payload.size());
  out.push_back(static_cast<char>(status));
  putU32(out, static_cast<uint32_t>(payload.size()));
  out.append(payload);
  return out;
}

std::optional<ReplyHeader> parseReplyHeader(std::string_view buf) {
  if (buf.size() < kReplyHeaderBytes) return std::nullopt;
  const ReplyHeader h{static_cast<uint8_t>(buf[0]), getU32(buf.data() + 1)};
  if (h.payloadBytes > kMaxReplyPayload) return std::nullopt;
  return h;
}

std::optional<int64_t> parseAddResult(uint8_t status, std::string_view payload) {
  if (status != static_cast<uint8_t>(Status::Ok) || payload.size() != 8) return std::nullopt;
  return getI64(payload.data());
}

std::vector<uint32_t> parseMissingKeys(std::string_view payload, size_t keys) {
  // A server repeating one index millions of times must not make the client copy that key as often.
  std::vector<bool> seen(keys);
  std::vector<uint32_t> out;
  for (size_t off = 0; off + 4 <= payload.size() && out.size() < keys; off += 4) {
    const uint32_t i = getU32(payload.data() + off);
    if (i < keys && !seen[i]) {
      seen[i] = true;
      out.push_back(i);
    }
  }
  return out;
}

}  // namespace weft::store::wire
