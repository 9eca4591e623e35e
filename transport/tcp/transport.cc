// SPDX-License-Identifier: Apache-2.0
// Set-up (Note [TCP set-up]), address blobs and the waiting entry points of TcpTransport.
#include "transport/tcp/transport.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "common/hash.h"
#include "common/log.h"
#include "transport/tcp/endpoint.h"

namespace weft::transport::tcp {

std::vector<std::byte> encodeAddress(const AddressBlob& a) {
  std::vector<std::byte> blob(sizeof(a));
  std::memcpy(blob.data(), &a, sizeof(a));
  return blob;
}

std::optional<AddressBlob> decodeAddress(std::span<const std::byte> blob) {
  AddressBlob a;
  if (blob.size() != sizeof(a)) return std::nullopt;
  std::memcpy(&a, blob.data(), sizeof(a));
  if (a.magic != kAddressMagic || a.version != kWireVersion) return std::nullopt;
  if (a.family != AF_INET && a.family != AF_INET6) return std::nullopt;
  return a;
}

SockAddr toSockAddr(const AddressBlob& a) { return SockAddr::fromBytes(a.family, a.addr, a.port); }

TcpTransport::TcpTransport(const TcpOptions& options) : options_(options) {
  if (options.nranks < 1 || options.rank < 0 || options.rank >= options.nranks) {
    throw InvalidArgument("tcp: rank " + std::to_string(options.rank) + " out of range for " +
                          std::to_string(options.nranks) + " ranks");
  }
  if (options.slots < 1) throw InvalidArgument("tcp: slots must be at least 1");
  if (options.slotBytes < 1) throw InvalidArgument("tcp: slot size must be at least 1 byte");
  if (options.nsocks < 1 || options.nsocks > kMaxSockets) {
    throw InvalidArgument("tcp: WEFT_SOCKET_NSOCKS must be in [1, " + std::to_string(kMaxSockets) +
                          "], got " + std::to_string(options.nsocks));
  }
  if (options.nthreads < 1 || options.nthreads > kMaxThreads) {
    throw InvalidArgument("tcp: WEFT_SOCKET_NTHREADS must be in [1, " + std::to_string(kMaxThreads) + "], got " +
                          std::to_string(options.nthreads));
  }
  // Connection i goes to thread i mod threads: more threads than sockets per peer would idle.
  poller_ = std::make_shared<Poller>(std::min(options.nthreads, options.nsocks));
}

TcpTransport::~TcpTransport() = default;

std::vector<std::byte> TcpTransport::listen() {
  WEFT_CHECK(!acceptor_, "listen() called twice");
  const Interface itf = chooseInterface(options_.ifname, options_.family);
  Socket listener = listenOnAny(itf.addr, options_.ports);
  const SockAddr bound = localAddress(listener);
  WEFT_LOG(Info, "tcp: listening on %s (interface %s)", bound.str().c_str(), itf.name.c_str());
  acceptor_.emplace(std::move(listener),
                    Acceptor::Expect{options_.rank, options_.nranks, fnv1a(options_.jobTag), options_.slots,
                                     options_.slotBytes, options_.nsocks, options_.secret});
  AddressBlob a;
  a.family = uint16_t(bound.family());
  a.port = bound.port();
  a.nsocks = uint16_t(options_.nsocks);
  a.rank = options_.rank;
  a.slots = options_.slots;
  a.slotBytes = options_.slotBytes;
  bound.toBytes(a.addr);
  return encodeAddress(a);
}

std::unique_ptr<Endpoint> TcpTransport::connect(int peer, std::span<const std::byte> addr) {
  const std::string who = "rank " + std::to_string(peer);
  if (peer < 0 || peer >= options_.nranks || peer == options_.rank) {
    throw InvalidArgument("tcp: rank " + std::to_string(options_.rank) + " cannot connect to " + who);
  }
  WEFT_CHECK(acceptor_.has_value(), "connect() before listen() or after finishSetup()");
  const std::optional<AddressBlob> a = decodeAddress(addr);
  if (!a || a->rank != peer) throw InvalidArgument("tcp: malformed address from " + who);
  if (a->slots != options_.slots || a->slotBytes != options_.slotBytes || a->nsocks != options_.nsocks) {
    throw InvalidArgument("tcp: " + who + " uses " + std::to_string(a->nsocks) + " sockets and " +
                          std::to_string(a->slots) + " slots of " + std::to_string(a->slotBytes) + " bytes, rank " +
                          std::to_string(options_.rank) + " " + std::to_string(options_.nsocks) + " and " +
                          std::to_string(options_.slots) + " of " + std::to_string(options_.slotBytes) +
                          ": set WEFT_SOCKET_NSOCKS and the slot settings alike on every rank");
  }
  const Deadline deadline = Deadline::after(options_.setupTimeoutSeconds);
  std::vector<Socket> socks;
  if (options_.rank < peer) {
    socks = acceptor_->take(peer, deadline);
  } else {
    const SockAddr target = toSockAddr(*a);
    for (int i = 0; i < options_.nsocks; ++i) {
      Socket s = connectTo(target, deadline, who);
      Hello h;
      h.index = uint16_t(i);
      h.rank = options_.rank;
      h.slots = options_.slots;
      h.tagHash = fnv1a(options_.jobTag);
      h.slotBytes = options_.slotBytes;
      h.nsocks = uint32_t(options_.nsocks);
      h.nonce = auth::randomBytes();
      writeAll(s, &h, sizeof(h), deadline, who);
      Challenge c;
      readAll(s, &c, sizeof(c), deadline, who + " during the handshake");
      if (!equalDigests(c.proof, auth::proof(options_.secret, auth::Role::Acceptor, kAuthTag, c.nonce, h.nonce))) {
        throw RemoteError("tcp: the listener of " + who + " at " + target.str() +
                          " does not know the job secret (Note [Job secret]: is it another job's?)");
      }
      const Digest mine = auth::proof(options_.secret, auth::Role::Connector, kAuthTag, h.nonce, c.nonce);
      writeAll(s, mine.data(), mine.size(), deadline, who);
      socks.push_back(std::move(s));
    }
  }
  WEFT_LOG(Trace, "tcp: rank %d connected to %s with %d socket(s)", options_.rank, who.c_str(), options_.nsocks);
  for (Socket& s : socks) setKeepalive(s.fd(), options_.keepaliveSeconds);
  return std::make_unique<TcpEndpoint>(peer, options_.slots, options_.slotBytes, std::move(socks), poller_,
                                       options_.keepaliveSeconds);
}

void TcpTransport::finishSetup() {
  if (acceptor_) acceptor_->close();
  acceptor_.reset();
}

uint32_t TcpTransport::waitToken() { return poller_->counter(); }

void TcpTransport::waitChange(uint32_t token, double maxUs) { poller_->waitChange(token, maxUs); }

bool TcpTransport::peerAlive(int peer) { return poller_->peerAlive(peer); }

}  // namespace weft::transport::tcp
