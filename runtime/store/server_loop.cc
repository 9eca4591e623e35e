// SPDX-License-Identifier: Apache-2.0
// The TCP store server loop; see Note [TCP store protocol] in tcp_wire.h.
#include "runtime/store/server_loop.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/log.h"

namespace weft::store::detail {

using wire::Cmd;
using wire::Status;

namespace {
constexpr size_t kReadChunk = 64 * 1024;
}

ServerLoop::ServerLoop(std::vector<UniqueFd> listeners, std::string jobKey, const auth::Secret& secret)
    : listeners_(std::move(listeners)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      jobKey_(std::move(jobKey)), secret_(secret) {
  if (!wake_.valid()) throw SystemError("eventfd for the store server", errno);
}

void ServerLoop::stop() {
  uint64_t one = 1;
  ssize_t w = ::write(wake_.get(), &one, sizeof(one));
  (void)w;  // the counter cannot overflow from a handful of writes
}

void ServerLoop::run() {
  try {
    while (!stopped_) serveOnce();
  } catch (const std::exception& e) {
    WEFT_LOG(Warn, "store server stopped after an error: %s", e.what());
  }
  // Closing every socket makes parked clients fail at once instead of waiting for timeouts.
  clients_.clear();
  listeners_.clear();
}

ServerLoop::Client* ServerLoop::find(uint64_t id) {
  auto it = clients_.find(id);
  return it == clients_.end() || it->second.dead ? nullptr : &it->second;
}

int ServerLoop::pollTimeout() const {
  auto now = Clock::now();
  std::optional<Clock::time_point> next;
  if (acceptPausedUntil_ > now) next = acceptPausedUntil_;
  for (const auto& [id, c] : clients_) {
    if (c.pending && c.pending->deadline && (!next || *c.pending->deadline < *next)) next = c.pending->deadline;
  }
  if (!next) return -1;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(*next - now).count();
  return us <= 0 ? 0 : static_cast<int>(std::min<int64_t>((us + 999) / 1000, 60'000));
}

void ServerLoop::serveOnce() {
  std::vector<pollfd> fds;
  std::vector<uint64_t> ids;
  fds.push_back({wake_.get(), POLLIN, 0});
  short acceptEvents = Clock::now() >= acceptPausedUntil_ ? POLLIN : 0;
  for (const auto& l : listeners_) fds.push_back({l.get(), acceptEvents, 0});
  for (const auto& [id, c] : clients_) {
    fds.push_back({c.fd.get(), static_cast<short>(c.outPos < c.out.size() ? POLLOUT : POLLIN), 0});
    ids.push_back(id);
  }
  int n = ::poll(fds.data(), fds.size(), pollTimeout());
  if (n < 0 && errno != EINTR) throw SystemError("poll in the store server", errno);
  if (n > 0) {
    if (fds[0].revents) {
      stopped_ = true;
      return;
    }
    size_t first = 1 + listeners_.size();
    for (size_t i = 1; i < first; ++i) {
      if (fds[i].revents & POLLIN) acceptAll();
    }
    for (size_t i = first; i < fds.size(); ++i) {
      short ev = fds[i].revents;
      uint64_t id = ids[i - first];
      Client* c = find(id);
      if (!ev || !c) continue;
      try {
        if (ev & POLLNVAL) {
          drop(id, nullptr);
        } else if (ev & POLLOUT) {
          flush(*c);
          if (!c->dead && c->outPos == c->out.size()) process(id);
        } else if (ev & (POLLIN | POLLHUP | POLLERR)) {
          readFrom(id);
        }
      } catch (const std::exception& e) {  // e.g. bad_alloc: lose this client, keep serving
        WEFT_LOG(Warn, "store server: dropping a client after an error: %s", e.what());
        drop(id, nullptr);
      }
    }
  }
  expireTimeouts();
  std::erase_if(clients_, [](const auto& kv) { return kv.second.dead; });
}

void ServerLoop::acceptAll() {
  for (const auto& l : listeners_) {
    for (;;) {
      int fd = ::accept4(l.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          WEFT_LOG(Warn, "store server cannot accept a connection: %s", std::strerror(errno));
          acceptPausedUntil_ = Clock::now() + std::chrono::milliseconds(100);
        }
        break;  // EAGAIN, or a connection that was reset before we took it
      }
      Client c;
      c.id = nextId_++;
      c.fd.reset(fd);
      int one = 1;  // best effort: a connection already reset fails here and later, harmlessly
      (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      clients_.emplace(c.id, std::move(c));
    }
  }
}

void ServerLoop::readFrom(uint64_t id) {
  Client& c = clients_.at(id);
  char buf[kReadChunk];
  ssize_t r = ::recv(c.fd.get(), buf, sizeof(buf), 0);
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (r <= 0) {
    drop(id, nullptr);  // the client went away (normal at the end of a job)
    return;
  }
  if (c.pending) {
    drop(id, "sent a request while another was in flight");
    return;
  }
  c.in.append(buf, static_cast<size_t>(r));
  process(id);
}

void ServerLoop::process(uint64_t id) {
  wire::Request req;
  for (Client* c = find(id); c && !c->pending && !c->closing && c->outPos == c->out.size(); c = find(id)) {
    size_t used = 0;
    wire::Parse p = wire::parseRequest(c->in, c->greeted, &req, &used);
    if (p == wire::Parse::NeedMore) return;
    if (p == wire::Parse::Malformed) {
      drop(id, "sent a malformed frame");
      return;
    }
    c->in.erase(0, used);
    handle(id, req);
    c = find(id);
    if (c && c->pending && !c->in.empty()) {
      drop(id, "sent a request while another was in flight");
      return;
    }
  }
}

void ServerLoop::handle(uint64_t id, wire::Request& req) {
  Client& c = clients_.at(id);
  if (!c.greeted) {
    // Note [Job secret]: Hello(magic, job key, Nc) -> Na | Pa, then Auth(Pc) -> Ok.
    if (req.cmd == Cmd::Hello) {
      if (c.challenge) return drop(id, "sent a second hello");
      if (req.args[0] != wire::kMagic) return drop(id, "did not start with a valid hello");
      if (req.args[1] != jobKey_) {
        WEFT_LOG(Warn, "store server: rejecting a client of another job (job key mismatch)");
        c.closing = true;
        return reply(c, Status::Rejected, {});
      }
      c.challenge = auth::randomBytes();
      c.clientNonce = std::move(req.args[2]);
      const Digest proof = auth::proof(secret_, auth::Role::Acceptor, wire::kAuthTag, *c.challenge,
                                       wire::asNonce(c.clientNonce));
      std::string payload(reinterpret_cast<const char*>(c.challenge->data()), c.challenge->size());
      payload.append(reinterpret_cast<const char*>(proof.data()), proof.size());
      return reply(c, Status::Ok, payload);
    }
    if (!c.challenge) return drop(id, "sent its proof before its hello");
    const Digest expected = auth::proof(secret_, auth::Role::Connector, wire::kAuthTag,
                                        wire::asNonce(c.clientNonce), *c.challenge);
    if (!equalDigests(wire::asDigest(req.args[0]), expected)) {
      WEFT_LOG(Warn, "store server: rejecting a client that does not know the job secret");
      c.closing = true;
      return reply(c, Status::Rejected, {});
    }
    c.greeted = true;
    return reply(c, Status::Ok, {});
  }
  switch (req.cmd) {
    case Cmd::Hello:  // parseRequest lets these through only before the greeting
    case Cmd::Auth:
      return drop(id, "sent a second hello");
    case Cmd::Set:
      data_[req.args[0]] = std::move(req.args[1]);
      reply(c, Status::Ok, {});
      return notify(req.args[0]);
    case Cmd::Add: {
      auto it = data_.find(req.args[0]);
      int64_t sum = 0;
      try {
        sum = addToCounter(req.args[0], it == data_.end() ? nullptr : &it->second, wire::getI64(req.args[1].data()));
      } catch (const InvalidArgument& e) {
        return reply(c, Status::BadValue, e.what());
      }
      data_[req.args[0]] = formatCounter(sum);
      std::string payload;
      wire::putI64(payload, sum);
      reply(c, Status::Ok, payload);
      return notify(req.args[0]);
    }
    case Cmd::Get:
    case Cmd::Wait: {
      Pending p{req.cmd, std::move(req.args), std::nullopt, {}};
      if (req.timeoutMs != wire::kNoTimeout) p.deadline = Clock::now() + std::chrono::milliseconds(req.timeoutMs);
      c.pending = std::move(p);
      return tryComplete(id);
    }
  }
}

void ServerLoop::tryComplete(uint64_t id) {
  Client* c = find(id);
  if (!c || !c->pending) return;
  Pending& p = *c->pending;
  auto missing = std::find_if(p.keys.begin(), p.keys.end(), [&](const auto& k) { return !data_.count(k); });
  if (missing != p.keys.end()) {
    p.registeredKey = *missing;
    waiters_[*missing].push_back(id);
    return;
  }
  std::string value = p.cmd == Cmd::Get ? data_.at(p.keys[0]) : std::string();
  c->pending.reset();
  reply(*c, Status::Ok, value);
}

void ServerLoop::notify(const std::string& key) {
  auto it = waiters_.find(key);
  if (it == waiters_.end()) return;
  std::vector<uint64_t> ids = std::move(it->second);
  waiters_.erase(it);
  for (uint64_t id : ids) {
    Client* c = find(id);
    if (!c || !c->pending || c->pending->registeredKey != key) continue;
    c->pending->registeredKey.clear();
    tryComplete(id);
  }
}

void ServerLoop::expireTimeouts() {
  auto now = Clock::now();
  for (auto& [id, c] : clients_) {
    if (c.dead || !c.pending || !c.pending->deadline || *c.pending->deadline > now) continue;
    unregister(id, c);
    std::string missing;  // Wait: indexes of the keys still missing
    if (c.pending->cmd == Cmd::Wait) {
      for (size_t i = 0; i < c.pending->keys.size(); ++i) {
        if (!data_.count(c.pending->keys[i])) wire::putU32(missing, static_cast<uint32_t>(i));
      }
    }
    c.pending.reset();
    reply(c, Status::Timeout, missing);
  }
}

void ServerLoop::reply(Client& c, Status status, std::string_view payload) {
  c.out += wire::encodeReply(status, payload);
  flush(c);
}

void ServerLoop::flush(Client& c) {
  while (c.outPos < c.out.size()) {
    ssize_t w = ::send(c.fd.get(), c.out.data() + c.outPos, c.out.size() - c.outPos, MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;  // poll for POLLOUT
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      c.dead = true;  // erased with its fd at the end of the iteration; unregistered below
      break;
    }
    c.outPos += static_cast<size_t>(w);
  }
  c.out.clear();
  c.outPos = 0;
  if (c.closing) c.dead = true;
  if (c.dead) unregister(c.id, c);
}

void ServerLoop::drop(uint64_t id, const char* why) {
  Client* c = find(id);
  if (!c) return;
  if (why) WEFT_LOG(Warn, "store server: closing a client that %s", why);
  unregister(id, *c);
  c->dead = true;
  c->fd.reset();
}

void ServerLoop::unregister(uint64_t id, Client& c) {
  if (!c.pending || c.pending->registeredKey.empty()) return;
  auto it = waiters_.find(c.pending->registeredKey);
  if (it != waiters_.end()) {
    std::erase(it->second, id);
    if (it->second.empty()) waiters_.erase(it);
  }
  c.pending->registeredKey.clear();
}

}  // namespace weft::store::detail
