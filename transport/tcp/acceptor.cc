// SPDX-License-Identifier: Apache-2.0
// The accept/hello/stash loop of Acceptor (see transport.cc for the set-up protocol).
#include "transport/tcp/acceptor.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "common/error.h"
#include "common/log.h"

namespace weft::transport::tcp {

std::vector<Socket> Acceptor::take(int peer, const Deadline& deadline) {
  const int n = expect_.nsocks;
  for (;;) {
    int have = 0;
    for (int i = 0; i < n; ++i) have += stash_.count({peer, i}) ? 1 : 0;
    if (have == n) {
      std::vector<Socket> out;
      for (int i = 0; i < n; ++i) {
        auto it = stash_.find({peer, i});
        out.push_back(std::move(it->second));
        stash_.erase(it);
      }
      taken_.push_back(peer);
      return out;
    }
    if (deadline.expired()) {
      throw Timeout("tcp: rank " + std::to_string(expect_.rank) + " timed out " + deadline.describe() +
                    " waiting for rank " + std::to_string(peer) + " to connect (" + std::to_string(have) +
                    " of " + std::to_string(n) + " sockets arrived)");
    }
    std::vector<pollfd> fds{{listener_.fd(), POLLIN, 0}};
    for (const Pending& p : pending_) fds.push_back({p.sock.fd(), POLLIN, 0});
    const int ready = ::poll(fds.data(), fds.size(), std::min(pollMs(deadline.remaining() * 1e6), 1000));
    if (ready < 0 && errno != EINTR) throw SystemError("tcp: poll on the listener failed", errno);
    if (ready <= 0) continue;
    // Hellos first (fds[1..] match pending_ as polled), then new connections.
    std::vector<Pending> keep;
    for (size_t i = 0; i < pending_.size(); ++i) {
      if (fds[i + 1].revents == 0 || readMore(pending_[i])) keep.push_back(std::move(pending_[i]));
    }
    pending_ = std::move(keep);
    if (fds[0].revents != 0) acceptAll();
  }
}

void Acceptor::acceptAll() {
  for (;;) {
    SockAddr from;
    from.len = sizeof(from.storage);
    Socket s(::accept4(listener_.fd(), from.sa(), &from.len, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (!s.valid()) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
      throw SystemError("tcp: accept failed", errno);
    }
    setNoDelay(s.fd());
    Pending p;
    p.sock = std::move(s);
    // The hello usually arrives with the connection: try at once.
    if (readMore(p)) pending_.push_back(std::move(p));
  }
}

bool Acceptor::readMore(Pending& p) {
  // Only as many bytes as the step needs: what follows the proof is the peer's first messages.
  auto* dst = p.challenged ? reinterpret_cast<std::byte*>(p.proof.data()) : reinterpret_cast<std::byte*>(&p.hello);
  const size_t want = p.challenged ? p.proof.size() : sizeof(Hello);
  const ssize_t n = ::recv(p.sock.fd(), dst + p.got, want - p.got, 0);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return true;
  if (n <= 0) {
    WEFT_LOG(Warn, "tcp: rank %d: a connection closed before finishing its %s (%s)", expect_.rank,
             p.challenged ? "handshake" : "hello", n == 0 ? "end of stream" : std::strerror(errno));
    return false;
  }
  p.got += size_t(n);
  if (p.got < want) return true;
  p.got = 0;
  if (!p.challenged) return challenge(p);
  admit(p);
  return false;
}

bool Acceptor::challenge(Pending& p) {
  const Hello& h = p.hello;
  const char* why = nullptr;
  if (h.magic != kHelloMagic || h.version != kWireVersion) why = "not a weft tcp hello";
  else if (h.tagHash != expect_.tagHash) why = "from another job (job tag differs)";
  else if (h.rank <= expect_.rank || h.rank >= expect_.nranks) why = "from a rank that should not connect to us";
  if (!why) checkSettings(h);
  if (!why && h.index >= expect_.nsocks) why = "socket index out of range";
  if (!why && (stash_.count({h.rank, h.index}) || std::count(taken_.begin(), taken_.end(), h.rank))) why = "a duplicate";
  if (why) {
    WEFT_LOG(Warn, "tcp: rank %d refused a connection: %s (claims rank %d, socket %u)", expect_.rank, why,
             int(h.rank), unsigned(h.index));
    return false;
  }
  Challenge c;
  c.nonce = p.nonce = auth::randomBytes();
  c.proof = auth::proof(expect_.secret, auth::Role::Acceptor, kAuthTag, p.nonce, h.nonce);
  // 64 bytes into a fresh connection's empty send buffer: sent whole or the connection is gone.
  if (::send(p.sock.fd(), &c, sizeof(c), MSG_NOSIGNAL | MSG_DONTWAIT) != ssize_t(sizeof(c))) {
    WEFT_LOG(Warn, "tcp: rank %d: a connection (claims rank %d) closed during the handshake", expect_.rank, int(h.rank));
    return false;
  }
  p.challenged = true;
  return true;
}

void Acceptor::admit(Pending& p) {
  const Hello& h = p.hello;
  const Digest expected = auth::proof(expect_.secret, auth::Role::Connector, kAuthTag, h.nonce, p.nonce);
  if (!equalDigests(p.proof, expected)) {
    WEFT_LOG(Warn, "tcp: rank %d refused a connection that does not know the job secret (claims rank %d, socket %u)",
             expect_.rank, int(h.rank), unsigned(h.index));
    return;
  }
  // A duplicate may have been admitted while this one was being challenged.
  if (stash_.count({h.rank, h.index}) || std::count(taken_.begin(), taken_.end(), h.rank)) {
    WEFT_LOG(Warn, "tcp: rank %d refused a duplicate connection (claims rank %d, socket %u)", expect_.rank,
             int(h.rank), unsigned(h.index));
    return;
  }
  stash_.emplace(std::make_pair(int(h.rank), int(h.index)), std::move(p.sock));
}

void Acceptor::checkSettings(const Hello& h) const {
  if (h.slots != expect_.slots || h.slotBytes != expect_.slotBytes || h.nsocks != uint32_t(expect_.nsocks)) {
    throw InvalidArgument("tcp: rank " + std::to_string(h.rank) + " uses " + std::to_string(h.nsocks) +
                          " sockets and " + std::to_string(h.slots) + " slots of " + std::to_string(h.slotBytes) +
                          " bytes, rank " + std::to_string(expect_.rank) + " " + std::to_string(expect_.nsocks) +
                          " and " + std::to_string(expect_.slots) + " of " + std::to_string(expect_.slotBytes) +
                          ": set WEFT_SOCKET_NSOCKS and the slot settings alike on every rank");
  }
}

void Acceptor::close() {
  if (!stash_.empty() || !pending_.empty()) {
    WEFT_LOG(Warn, "tcp: rank %d closes %zu unclaimed and %zu half-open connections after set-up", expect_.rank,
             stash_.size(), pending_.size());
  }
  stash_.clear();
  pending_.clear();
  listener_.reset();
}

}  // namespace weft::transport::tcp
