// SPDX-License-Identifier: Apache-2.0
// Socket helpers for the TCP store: poll-bounded I/O, connect attempts and listening sockets.
#include "runtime/store/socket.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/error.h"

namespace weft::store::detail {

std::string tcpUrl(const std::string& host, int port) {
  bool v6 = host.find(':') != std::string::npos;
  return "tcp://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

int pollTimeoutMs(const Deadline& deadline, int maxMs) {
  double ms = deadline.remaining() * 1000.0;
  if (ms >= maxMs) return maxMs;
  return static_cast<int>(ms) + (ms > static_cast<int>(ms) ? 1 : 0);  // round up: never spin at 0
}

// Waits for events on fd. Returns true when ready, false when the deadline passed.
static bool waitReady(int fd, short events, const Deadline& deadline) {
  for (;;) {
    pollfd p{fd, events, 0};
    int r = ::poll(&p, 1, pollTimeoutMs(deadline));
    if (r > 0) return true;  // ready, or an error/hangup that the next syscall reports
    if (r < 0 && errno != EINTR) throw SystemError("poll on a store socket failed", errno);
    if (deadline.expired()) return false;
  }
}

Io sendAll(int fd, const void* data, size_t n, const Deadline& deadline, int* err) {
  auto p = static_cast<const char*>(data);
  while (n > 0) {
    ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w > 0) {
      p += w;
      n -= static_cast<size_t>(w);
    } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!waitReady(fd, POLLOUT, deadline)) return Io::Timeout;
    } else if (w < 0 && errno != EINTR) {
      *err = errno;
      return (errno == EPIPE || errno == ECONNRESET) ? Io::Closed : Io::Error;
    }
  }
  return Io::Ok;
}

Io recvAll(int fd, void* data, size_t n, const Deadline& deadline, int* err) {
  auto p = static_cast<char*>(data);
  while (n > 0) {
    ssize_t r = ::recv(fd, p, n, 0);
    if (r > 0) {
      p += r;
      n -= static_cast<size_t>(r);
    } else if (r == 0) {
      return Io::Closed;
    } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!waitReady(fd, POLLIN, deadline)) return Io::Timeout;
    } else if (errno != EINTR) {
      *err = errno;
      return errno == ECONNRESET ? Io::Closed : Io::Error;
    }
  }
  return Io::Ok;
}

void setNonBlocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags < 0 || ::fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) throw SystemError("fcntl(O_NONBLOCK)", errno);
}

void setNoDelay(int fd) {
  int one = 1;
  if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) < 0) throw SystemError("TCP_NODELAY", errno);
}

namespace {
struct AddrInfoDeleter {
  void operator()(addrinfo* ai) const { ::freeaddrinfo(ai); }
};
using AddrInfoPtr = std::unique_ptr<addrinfo, AddrInfoDeleter>;

// Resolves host:port; on failure returns null and sets *error.
AddrInfoPtr resolve(const char* host, int port, int flags, std::string* error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = flags | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  std::string service = std::to_string(port);
  int rc = ::getaddrinfo(host, service.c_str(), &hints, &res);
  if (rc != 0) {
    *error = rc == EAI_SYSTEM ? std::strerror(errno) : ::gai_strerror(rc);
    return nullptr;
  }
  return AddrInfoPtr(res);
}
}  // namespace

UniqueFd tryConnect(const std::string& host, int port, const Deadline& deadline, std::string* lastError) {
  AddrInfoPtr addrs = resolve(host.c_str(), port, 0, lastError);
  for (addrinfo* ai = addrs.get(); ai; ai = ai->ai_next) {
    UniqueFd fd(::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
    if (!fd.valid()) {
      *lastError = std::strerror(errno);
      continue;
    }
    if (::connect(fd.get(), ai->ai_addr, ai->ai_addrlen) < 0) {
      if (errno != EINPROGRESS) {
        *lastError = std::strerror(errno);
        continue;
      }
      // A host that drops SYNs would use up the whole deadline: give each address at most 5 s.
      auto attempt = Deadline::after(std::max(0.001, std::min(deadline.remaining(), 5.0)));
      if (!waitReady(fd.get(), POLLOUT, attempt)) {
        *lastError = "connect timed out";
        continue;
      }
      int soErr = 0;
      socklen_t len = sizeof(soErr);
      if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soErr, &len) < 0) soErr = errno;
      if (soErr != 0) {
        *lastError = std::strerror(soErr);
        continue;
      }
    }
    setNoDelay(fd.get());
    return fd;
  }
  return UniqueFd();
}

namespace {
// Binds and listens; returns the fd or -1 with errno set.
int bindAndListen(int family, const sockaddr* addr, socklen_t len, bool v6Only) {
  UniqueFd fd(::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  auto fail = [&fd] {
    int err = errno;
    fd.reset();  // close() may change errno
    errno = err;
    return -1;
  };
  if (!fd.valid()) return -1;
  int one = 1, v6 = v6Only ? 1 : 0;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) return fail();
  if (family == AF_INET6 && ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &v6, sizeof(v6)) < 0) return fail();
  if (::bind(fd.get(), addr, len) < 0 || ::listen(fd.get(), SOMAXCONN) < 0) return fail();
  return fd.release();
}

int localPort(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) < 0) throw SystemError("getsockname", errno);
  if (ss.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

void setPort(sockaddr* sa, int port) {
  if (sa->sa_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(sa)->sin6_port = htons(static_cast<uint16_t>(port));
  } else {
    reinterpret_cast<sockaddr_in*>(sa)->sin_port = htons(static_cast<uint16_t>(port));
  }
}

// The port is taken: listenOn(bindHost, range, ...) goes on to the next one.
struct PortInUse : SystemError {
  using SystemError::SystemError;
};

[[noreturn]] void throwListenError(int port, int err) {
  std::string msg = "cannot listen on port " + std::to_string(port) + ": " + std::strerror(err);
  if (err == EADDRINUSE) throw PortInUse(msg + " (another job may be using this MASTER_PORT)");
  throw SystemError(msg);
}
}  // namespace

std::vector<UniqueFd> listenOn(const std::string& bindHost, int port, int* boundPort) {
  if (port < 0 || port > 65535) throw InvalidArgument("store port " + std::to_string(port) + " is out of range");
  std::vector<UniqueFd> fds;
  if (bindHost.empty()) {
    // One dual-stack socket serves IPv4 (as mapped addresses) and IPv6; fall back to IPv4 only
    // where the kernel has no IPv6.
    sockaddr_in6 a6{};
    a6.sin6_family = AF_INET6;
    a6.sin6_addr = in6addr_any;
    a6.sin6_port = htons(static_cast<uint16_t>(port));
    int fd = bindAndListen(AF_INET6, reinterpret_cast<sockaddr*>(&a6), sizeof(a6), false);
    if (fd < 0 && errno != EAFNOSUPPORT && errno != EADDRNOTAVAIL) throwListenError(port, errno);
    if (fd < 0) {
      sockaddr_in a4{};
      a4.sin_family = AF_INET;
      a4.sin_addr.s_addr = htonl(INADDR_ANY);
      a4.sin_port = htons(static_cast<uint16_t>(port));
      fd = bindAndListen(AF_INET, reinterpret_cast<sockaddr*>(&a4), sizeof(a4), false);
      if (fd < 0) throwListenError(port, errno);
    }
    fds.emplace_back(fd);
    *boundPort = localPort(fd);
    return fds;
  }
  std::string error;
  AddrInfoPtr addrs = resolve(bindHost.c_str(), port, AI_PASSIVE, &error);
  if (!addrs) throw SystemError("cannot resolve the store bind address '" + bindHost + "': " + error);
  int chosen = port, lastErr = EADDRNOTAVAIL;
  for (addrinfo* ai = addrs.get(); ai; ai = ai->ai_next) {
    setPort(ai->ai_addr, chosen);  // with port 0, every later socket takes the first one's port
    int fd = bindAndListen(ai->ai_family, ai->ai_addr, ai->ai_addrlen, true);
    if (fd < 0) {
      if (errno == EADDRINUSE) throwListenError(chosen, errno);
      lastErr = errno;
      continue;
    }
    fds.emplace_back(fd);
    chosen = localPort(fd);
  }
  if (fds.empty()) throwListenError(port, lastErr);
  *boundPort = chosen;
  return fds;
}

std::vector<UniqueFd> listenOn(const std::string& bindHost, const PortRange& range, int* boundPort) {
  if (range.any()) return listenOn(bindHost, 0, boundPort);
  std::vector<UniqueFd> fds;
  const int port = firstFreePort(range, [&](int p) {
    try {
      fds = listenOn(bindHost, p, boundPort);
      return true;
    } catch (const PortInUse&) {
      return false;
    }
  });
  if (port == 0) {
    throw SystemError("no free port" + (bindHost.empty() ? std::string() : " on " + bindHost) +
                      " in WEFT_PORT_RANGE=" + range.str() + " (every one is in use)");
  }
  return fds;
}

}  // namespace weft::store::detail
