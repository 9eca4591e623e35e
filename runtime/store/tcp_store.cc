// SPDX-License-Identifier: Apache-2.0
// TcpStore: connection pool, handshake and request/reply round trips; see Note [TCP store protocol].
#include "runtime/store/tcp_store.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "runtime/store/key_util.h"
#include "runtime/store/tcp_wire.h"

namespace weft::store {

using detail::Io;
using detail::UniqueFd;
using wire::Cmd;
using wire::Status;

namespace {
// How long past a request's own timeout the client waits for the server's answer.
constexpr double kReplyGraceSec = 5;
constexpr size_t kMaxIdleConnections = 8;

uint32_t timeoutMs(const Deadline& d) {
  double ms = std::ceil(d.remaining() * 1000.0);
  return ms >= wire::kNoTimeout ? wire::kNoTimeout : static_cast<uint32_t>(ms);
}

std::string_view asView(const Bytes& b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }
}  // namespace

TcpStore::TcpStore(std::string host, int port, std::string jobKey, const auth::Secret& secret)
    : host_(std::move(host)), port_(port), jobKey_(std::move(jobKey)), secret_(secret),
      url_(detail::tcpUrl(host_, port_)) {}

std::shared_ptr<TcpStore> TcpStore::connect(const std::string& host, int port, std::string jobKey,
                                            const auth::Secret& secret, Deadline deadline) {
  if (port <= 0 || port > 65535) throw InvalidArgument("store port " + std::to_string(port) + " is out of range");
  if (jobKey.size() > detail::kMaxKeyBytes) throw InvalidArgument("store job key is longer than 4096 bytes");
  std::shared_ptr<TcpStore> store(new TcpStore(host, port, std::move(jobKey), secret));
  store->idle_.push_back(store->open(deadline, true));
  return store;
}

// One step of the handshake: sends `request`, reads the reply into *payload (at most `most`
// bytes). Throws for a reply that is not Ok; returns what the I/O came to.
Io TcpStore::greetStep(int fd, const std::string& request, size_t most, std::string* payload, const Deadline& deadline,
                       int* err, const char* refusal) {
  char header[wire::kReplyHeaderBytes];
  Io io = detail::sendAll(fd, request.data(), request.size(), deadline, err);
  if (io == Io::Ok) io = detail::recvAll(fd, header, sizeof(header), deadline, err);
  if (io != Io::Ok) return io;
  const auto status = static_cast<Status>(header[0]);
  const uint32_t bytes = wire::getU32(header + 1);
  if (status == Status::Rejected) throw RemoteError("the store at " + url_ + " " + refusal);
  if (status != Status::Ok || bytes > most) {
    throw RemoteError("the server at " + url_ + " is not a weft store (unexpected handshake reply)");
  }
  payload->resize(bytes);
  return bytes == 0 ? Io::Ok : detail::recvAll(fd, payload->data(), bytes, deadline, err);
}

// The greeting, with the challenge-response of Note [Job secret]. Throws RemoteError when either
// side is refused; returns the I/O outcome otherwise.
Io TcpStore::greet(int fd, const Deadline& deadline, int* err) {
  const auth::Nonce mine = auth::randomBytes();
  const std::string_view mineView(reinterpret_cast<const char*>(mine.data()), mine.size());
  std::string payload;
  Io io = greetStep(fd, wire::encodeRequest(Cmd::Hello, 0, {wire::kMagic, jobKey_, mineView}),
                    wire::kNonceBytes + wire::kProofBytes, &payload, deadline, err,
                    "belongs to another job (job key mismatch)");
  if (io != Io::Ok) return io;
  if (payload.size() != wire::kNonceBytes + wire::kProofBytes) {
    throw RemoteError("the server at " + url_ + " is not a weft store (unexpected handshake reply)");
  }
  const auth::Nonce theirs = wire::asNonce(std::string_view(payload).substr(0, wire::kNonceBytes));
  const Digest expected = auth::proof(secret_, auth::Role::Acceptor, wire::kAuthTag, theirs, mine);
  if (!equalDigests(wire::asDigest(std::string_view(payload).substr(wire::kNonceBytes)), expected)) {
    throw RemoteError("the store at " + url_ + " does not know this job's secret (another job's store?)");
  }
  const Digest proof = auth::proof(secret_, auth::Role::Connector, wire::kAuthTag, mine, theirs);
  const std::string_view proofView(reinterpret_cast<const char*>(proof.data()), proof.size());
  return greetStep(fd, wire::encodeRequest(Cmd::Auth, 0, {proofView}), 0, &payload, deadline, err,
                   "refused this rank's proof of the job secret (do the ranks have different WEFT_SECRETs?)");
}

UniqueFd TcpStore::open(const Deadline& deadline, bool retry) {
  std::string lastError = "no address";
  auto backoff = std::chrono::milliseconds(10);
  for (;;) {
    UniqueFd fd = detail::tryConnect(host_, port_, deadline, &lastError);
    if (fd.valid()) {
      int err = 0;
      const Io io = greet(fd.get(), deadline, &err);
      if (io == Io::Ok) return fd;
      // Closed: a server that is stopping; Timeout: a server that does not speak the protocol.
      lastError = io == Io::Timeout ? "no answer to the handshake"
                  : io == Io::Closed ? "connection closed during the handshake" : std::strerror(err);
    }
    if (!retry || deadline.expired()) break;
    std::this_thread::sleep_for(std::min<std::chrono::duration<double>>(
        backoff, std::chrono::duration<double>(deadline.remaining())));
    backoff = std::min(backoff * 2, std::chrono::milliseconds(200));
  }
  if (retry) {
    throw Timeout("timed out " + deadline.describe() + " connecting to the store at " + url_ + " (last error: " +
                  lastError + ")");
  }
  throw RemoteError("lost the connection to the store at " + url_ + " and cannot reconnect: " + lastError);
}

TcpStore::Reply TcpStore::roundTrip(const std::string& request, const Deadline& deadline, const std::string& what) {
  UniqueFd fd;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!idle_.empty()) {
      fd = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!fd.valid()) fd = open(deadline, false);

  int err = 0;
  char header[wire::kReplyHeaderBytes];
  Reply reply{};
  Io io = detail::sendAll(fd.get(), request.data(), request.size(), deadline, &err);
  if (io == Io::Ok) io = detail::recvAll(fd.get(), header, sizeof(header), deadline, &err);
  if (io == Io::Ok) {
    const auto h = wire::parseReplyHeader(std::string_view(header, sizeof(header)));
    if (!h) throw RemoteError("the store at " + url_ + " sent a malformed reply while " + what);
    reply.status = h->status;
    reply.payload.resize(h->payloadBytes);
    io = detail::recvAll(fd.get(), reply.payload.data(), h->payloadBytes, deadline, &err);
  }
  // On any failure fd is closed rather than pooled: its stream may hold a late reply.
  if (io == Io::Timeout) {
    throw Timeout("timed out " + deadline.describe() + " " + what + " in the store at " + url_ +
                  " (the server did not answer)");
  }
  if (io == Io::Closed) throw RemoteError("lost the connection to the store at " + url_ + " while " + what);
  if (io == Io::Error) throw SystemError("store connection to " + url_ + " failed while " + what, err);
  std::lock_guard<std::mutex> lock(mu_);
  if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(fd));
  return reply;
}

void TcpStore::set(const std::string& key, const Bytes& value) {
  detail::checkKey(key);
  detail::checkValueSize(key, value.size());
  auto deadline = Deadline::after(opTimeoutSec_);
  Reply r = roundTrip(wire::encodeRequest(Cmd::Set, 0, {key, asView(value)}), deadline, "setting key '" + key + "'");
  if (r.status != static_cast<uint8_t>(Status::Ok)) {
    throw RemoteError("the store at " + url_ + " refused to set key '" + key + "'");
  }
}

Bytes TcpStore::get(const std::string& key, Deadline deadline) {
  detail::checkKey(key);
  auto replyDeadline = Deadline::after(deadline.remaining() + kReplyGraceSec);
  Reply r = roundTrip(wire::encodeRequest(Cmd::Get, timeoutMs(deadline), {key}), replyDeadline,
                      "waiting for key '" + key + "'");
  if (r.status == static_cast<uint8_t>(Status::Timeout)) throw detail::keyTimeout(deadline, {key}, url_);
  if (r.status != static_cast<uint8_t>(Status::Ok)) {
    throw RemoteError("the store at " + url_ + " sent an unexpected reply to a get of key '" + key + "'");
  }
  return Bytes(r.payload.begin(), r.payload.end());
}

int64_t TcpStore::add(const std::string& key, int64_t delta) {
  detail::checkKey(key);
  std::string d;
  wire::putI64(d, delta);
  auto deadline = Deadline::after(opTimeoutSec_);
  Reply r = roundTrip(wire::encodeRequest(Cmd::Add, 0, {key, d}), deadline, "adding to key '" + key + "'");
  if (r.status == static_cast<uint8_t>(Status::BadValue)) throw InvalidArgument(r.payload);
  const auto value = wire::parseAddResult(r.status, r.payload);
  if (!value) throw RemoteError("the store at " + url_ + " sent an unexpected reply to an add to key '" + key + "'");
  return *value;
}

void TcpStore::wait(const std::vector<std::string>& keys, Deadline deadline) {
  if (keys.empty()) return;
  if (keys.size() > detail::kMaxWaitKeys) {
    throw InvalidArgument("cannot wait for more than " + std::to_string(detail::kMaxWaitKeys) + " keys at once");
  }
  for (const auto& k : keys) detail::checkKey(k);
  std::vector<std::string_view> args(keys.begin(), keys.end());
  auto replyDeadline = Deadline::after(deadline.remaining() + kReplyGraceSec);
  Reply r = roundTrip(wire::encodeRequest(Cmd::Wait, timeoutMs(deadline), args), replyDeadline,
                      "waiting for keys " + detail::quoteKeys(keys));
  if (r.status == static_cast<uint8_t>(Status::Timeout)) {
    std::vector<std::string> missing;
    for (uint32_t i : wire::parseMissingKeys(r.payload, keys.size())) missing.push_back(keys[i]);
    throw detail::keyTimeout(deadline, missing.empty() ? keys : missing, url_);
  }
  if (r.status != static_cast<uint8_t>(Status::Ok)) {
    throw RemoteError("the store at " + url_ + " sent an unexpected reply to a wait");
  }
}

}  // namespace weft::store
