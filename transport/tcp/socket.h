// SPDX-License-Identifier: Apache-2.0
// Socket plumbing for the TCP transport: a move-only fd, IPv4/IPv6 addresses, and the blocking
// (deadline-bounded) helpers that only set-up uses.
#pragma once

#include "common/port_range.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "common/deadline.h"

namespace weft::transport::tcp {

// Owns one file descriptor and closes it on destruction. Move-only; thread-compatible.
class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  Socket(Socket&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() { reset(); }

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset() noexcept;

 private:
  int fd_ = -1;
};

// An IPv4 or IPv6 socket address.
struct SockAddr {
  sockaddr_storage storage{};
  socklen_t len = 0;

  int family() const { return storage.ss_family; }
  const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&storage); }
  sockaddr* sa() { return reinterpret_cast<sockaddr*>(&storage); }
  uint16_t port() const;
  void setPort(uint16_t port);
  // The numeric host ("10.0.0.2", "::1") and host:port ("10.0.0.2:4000", "[::1]:4000").
  std::string host() const;
  std::string str() const;

  // From a numeric IPv4 or IPv6 host; nullopt if `host` is neither.
  static std::optional<SockAddr> parse(const std::string& host, uint16_t port);
  // From raw address bytes (4 for AF_INET, 16 for AF_INET6) in network order.
  static SockAddr fromBytes(int family, const uint8_t* bytes, uint16_t port);
  // The 4 or 16 raw address bytes, network order, into out[16].
  void toBytes(uint8_t* out) const;
};

void setNonblocking(int fd);
void setNoDelay(int fd);
// Note [TCP keepalive]: a host that vanishes (powered off, cable pulled) sends no FIN or RST, so
// a link to it would look alive until WEFT_TIMEOUT. With `seconds` > 0 the kernel probes an idle
// link (SO_KEEPALIVE: first probe after a third of it, then every third) and gives up on one whose
// probes or sent data go unacknowledged for `seconds` (TCP_USER_TIMEOUT); the socket then fails
// with ETIMEDOUT, which the endpoint reports as the peer's host answering nothing. The kernel
// answers the probes, so a peer process that is merely busy or stopped is not affected (that is
// WEFT_TIMEOUT's case). 0 leaves the socket as it is. Throws SystemError.
void setKeepalive(int fd, double seconds);

// A nonblocking socket bound to `addr` (port 0: ephemeral) and listening with backlog SOMAXCONN.
// Throws SystemError.
Socket listenOn(const SockAddr& addr);
// listenOn(addr) with the first free port of `ports` (WEFT_PORT_RANGE), or addr's own port (0: an
// ephemeral one) when ports.any(); SystemError naming the range when every port is taken.
Socket listenOnAny(const SockAddr& addr, const PortRange& ports);
// The address a socket is bound to. Throws SystemError.
SockAddr localAddress(const Socket& s);

// Connects to `addr`, retrying refused or unreachable attempts until `deadline`; returns a
// nonblocking, TCP_NODELAY socket. Throws Timeout (naming `what`) or SystemError.
Socket connectTo(const SockAddr& addr, const Deadline& deadline, const std::string& what);

// Writes all `bytes` to the nonblocking socket `s`, waiting (poll) until `deadline`.
// Throws Timeout or SystemError naming `what`.
void writeAll(const Socket& s, const void* data, size_t bytes, const Deadline& deadline,
              const std::string& what);

// Reads exactly `bytes` from the nonblocking socket `s`, waiting (poll) until `deadline`.
// Throws Timeout, or SystemError naming `what` (also when the peer closes first).
void readAll(const Socket& s, void* data, size_t bytes, const Deadline& deadline, const std::string& what);

// Milliseconds to pass to poll/epoll_wait for `us` microseconds: rounded up, capped, never < 0.
int pollMs(double us);

}  // namespace weft::transport::tcp
