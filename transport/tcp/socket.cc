// SPDX-License-Identifier: Apache-2.0
// The fd wrapper, address conversions and set-up helpers of socket.h.
#include "transport/tcp/socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <thread>

#include "common/error.h"

namespace weft::transport::tcp {

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    reset();
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

void Socket::reset() noexcept {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

uint16_t SockAddr::port() const {
  if (family() == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&storage)->sin_port);
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_port);
}

void SockAddr::setPort(uint16_t port) {
  if (family() == AF_INET) reinterpret_cast<sockaddr_in*>(&storage)->sin_port = htons(port);
  else reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port = htons(port);
}

std::string SockAddr::host() const {
  char buf[INET6_ADDRSTRLEN] = {};
  const void* src = family() == AF_INET
                        ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr)
                        : static_cast<const void*>(&reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr);
  if (::inet_ntop(family(), src, buf, sizeof(buf)) == nullptr) return "?";
  return buf;
}

std::string SockAddr::str() const {
  // Appended piece by piece: GCC 12 at -O3 reports a false -Wrestrict for "[" + host() + ...
  const bool v6 = family() == AF_INET6;
  std::string s = v6 ? "[" : "";
  s += host();
  s += v6 ? "]:" : ":";
  s += std::to_string(port());
  return s;
}

std::optional<SockAddr> SockAddr::parse(const std::string& host, uint16_t port) {
  uint8_t bytes[16];
  if (::inet_pton(AF_INET, host.c_str(), bytes) == 1) return fromBytes(AF_INET, bytes, port);
  if (::inet_pton(AF_INET6, host.c_str(), bytes) == 1) return fromBytes(AF_INET6, bytes, port);
  return std::nullopt;
}

SockAddr SockAddr::fromBytes(int family, const uint8_t* bytes, uint16_t port) {
  SockAddr a;
  if (family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.storage);
    in->sin_family = AF_INET;
    std::memcpy(&in->sin_addr, bytes, 4);
    a.len = sizeof(sockaddr_in);
  } else {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.storage);
    in6->sin6_family = AF_INET6;
    std::memcpy(&in6->sin6_addr, bytes, 16);
    a.len = sizeof(sockaddr_in6);
  }
  a.setPort(port);
  return a;
}

void SockAddr::toBytes(uint8_t* out) const {
  std::memset(out, 0, 16);
  if (family() == AF_INET) std::memcpy(out, &reinterpret_cast<const sockaddr_in*>(&storage)->sin_addr, 4);
  else std::memcpy(out, &reinterpret_cast<const sockaddr_in6*>(&storage)->sin6_addr, 16);
}

void setNonblocking(int fd) {
  const int flags = ::fcntl(fd, F_GETFL, 0);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {
    throw SystemError("tcp: cannot make a socket nonblocking", errno);
  }
}

void setNoDelay(int fd) {
  const int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) != 0) {
    throw SystemError("tcp: cannot set TCP_NODELAY", errno);
  }
}

void setKeepalive(int fd, double seconds) {
  if (seconds <= 0) return;
  const int on = 1, probe = std::max(1, int(seconds / 3)), count = 3;
  const unsigned userMs = unsigned(std::min(seconds, 86400.0) * 1000);
  if (::setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) != 0 ||
      ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &probe, sizeof(probe)) != 0 ||
      ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &probe, sizeof(probe)) != 0 ||
      ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &count, sizeof(count)) != 0 ||
      ::setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &userMs, sizeof(userMs)) != 0) {
    throw SystemError("tcp: cannot set keepalive (WEFT_SOCKET_KEEPALIVE)", errno);
  }
}

namespace {
// A listening socket on addr, or an invalid one with *err set when bind() fails.
Socket tryListenOn(const SockAddr& addr, int* err) {
  Socket s(::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!s.valid()) throw SystemError("tcp: cannot create a socket", errno);
  const int one = 1;
  ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  if (::bind(s.fd(), addr.sa(), addr.len) != 0) {
    *err = errno;
    return Socket();
  }
  if (::listen(s.fd(), SOMAXCONN) != 0) throw SystemError("tcp: cannot listen on " + addr.str(), errno);
  return s;
}
}  // namespace

Socket listenOn(const SockAddr& addr) {
  int err = 0;
  Socket s = tryListenOn(addr, &err);
  if (!s.valid()) throw SystemError("tcp: cannot bind to " + addr.str(), err);
  return s;
}

Socket listenOnAny(const SockAddr& addr, const PortRange& ports) {
  if (ports.any()) return listenOn(addr);
  Socket found;
  int err = 0;
  firstFreePort(ports, [&](int port) {
    SockAddr a = addr;
    a.setPort(uint16_t(port));
    found = tryListenOn(a, &err);
    if (!found.valid() && err != EADDRINUSE) throw SystemError("tcp: cannot bind to " + a.str(), err);
    return found.valid();
  });
  if (!found.valid()) {
    throw SystemError("tcp: no free port on " + addr.host() + " in WEFT_PORT_RANGE=" + ports.str() +
                      " (every one is in use)");
  }
  return found;
}

SockAddr localAddress(const Socket& s) {
  SockAddr a;
  a.len = sizeof(a.storage);
  if (::getsockname(s.fd(), a.sa(), &a.len) != 0) throw SystemError("tcp: getsockname failed", errno);
  return a;
}

namespace {

// Waits until `fd` is ready for `events` or the deadline passes; false on timeout.
bool waitFd(int fd, short events, const Deadline& deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, pollMs(deadline.remaining() * 1e6));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) throw SystemError("tcp: poll failed", errno);
  }
}

bool retryable(int err) {
  return err == ECONNREFUSED || err == ETIMEDOUT || err == ECONNRESET || err == EHOSTUNREACH ||
         err == ENETUNREACH || err == EAGAIN;
}

}  // namespace

Socket connectTo(const SockAddr& addr, const Deadline& deadline, const std::string& what) {
  int lastErr = 0;
  for (int attempt = 0;; ++attempt) {
    if (attempt > 0) {
      if (deadline.expired()) {
        throw Timeout("tcp: could not connect to " + what + " at " + addr.str() + " " +
                      deadline.describe() + ": " + std::strerror(lastErr));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(attempt < 10 ? 10 : 100));
    }
    Socket s(::socket(addr.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!s.valid()) throw SystemError("tcp: cannot create a socket", errno);
    int err = 0;
    if (::connect(s.fd(), addr.sa(), addr.len) != 0) {
      err = errno;
      if (err == EINPROGRESS || err == EINTR) {
        if (!waitFd(s.fd(), POLLOUT, deadline)) {
          throw Timeout("tcp: connecting to " + what + " at " + addr.str() + " timed out " +
                        deadline.describe());
        }
        socklen_t len = sizeof(err);
        if (::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      }
    }
    if (err == 0) {
      setNoDelay(s.fd());
      return s;
    }
    if (!retryable(err)) throw SystemError("tcp: cannot connect to " + what + " at " + addr.str(), err);
    lastErr = err;
  }
}

void writeAll(const Socket& s, const void* data, size_t bytes, const Deadline& deadline,
              const std::string& what) {
  const auto* p = static_cast<const std::byte*>(data);
  while (bytes > 0) {
    const ssize_t n = ::send(s.fd(), p, bytes, MSG_NOSIGNAL);
    if (n > 0) {
      p += n;
      bytes -= size_t(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!waitFd(s.fd(), POLLOUT, deadline)) {
        throw Timeout("tcp: sending to " + what + " timed out " + deadline.describe());
      }
    } else {
      throw SystemError("tcp: cannot send to " + what, n < 0 ? errno : EPIPE);
    }
  }
}

void readAll(const Socket& s, void* data, size_t bytes, const Deadline& deadline, const std::string& what) {
  auto* p = static_cast<std::byte*>(data);
  while (bytes > 0) {
    const ssize_t n = ::recv(s.fd(), p, bytes, 0);
    if (n > 0) {
      p += n;
      bytes -= size_t(n);
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
      if (!waitFd(s.fd(), POLLIN, deadline)) {
        throw Timeout("tcp: receiving from " + what + " timed out " + deadline.describe());
      }
    } else {
      throw SystemError("tcp: " + what + " closed the connection", n < 0 ? errno : ECONNRESET);
    }
  }
}

int pollMs(double us) {
  if (!(us > 0)) return 0;
  const double ms = std::ceil(us / 1000.0);
  return ms > 1e9 ? 1000000000 : int(ms);
}

}  // namespace weft::transport::tcp
