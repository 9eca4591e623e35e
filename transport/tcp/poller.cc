// SPDX-License-Identifier: Apache-2.0
// epoll bookkeeping, the progress threads and the waitChange sleep of the TCP transport.
#include "transport/tcp/poller.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>

#include "common/error.h"
#include "common/log.h"
#include "common/wait.h"
#include "transport/tcp/endpoint.h"

namespace weft::transport::tcp {
namespace {

// An epoll event names the endpoint and its connection: id << 8 | connection (at most 16).
constexpr int kConnBits = 8;

}  // namespace

Poller::Poller(int threads) {
  if (threads < 1 || threads > kMaxThreads) {
    throw InvalidArgument("tcp: WEFT_SOCKET_NTHREADS must be in [1, " + std::to_string(kMaxThreads) + "], got " +
                          std::to_string(threads));
  }
  const int logRank = log::threadRank();
  for (int i = 0; i < threads; ++i) {
    auto t = std::make_unique<Thread>();
    t->epoll = Socket(::epoll_create1(EPOLL_CLOEXEC));
    t->wake = Socket(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    if (!t->epoll.valid()) throw SystemError("tcp: epoll_create1 failed", errno);
    if (!t->wake.valid()) throw SystemError("tcp: eventfd failed", errno);
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = 0;
    if (::epoll_ctl(t->epoll.fd(), EPOLL_CTL_ADD, t->wake.fd(), &ev) != 0) throw SystemError("tcp: epoll_ctl failed", errno);
    threads_.push_back(std::move(t));
  }
  for (auto& t : threads_) {
    Thread* raw = t.get();
    raw->thread = std::thread([this, raw, logRank] {
      log::setThreadRank(logRank);
      ::pthread_setname_np(::pthread_self(), "weft-tcp");
      run(*raw);
    });
  }
}

Poller::~Poller() {
  stop_.store(true);
  const uint64_t one = 1;
  for (auto& t : threads_) {
    if (::write(t->wake.fd(), &one, sizeof(one)) < 0) {
      WEFT_LOG(Warn, "tcp: cannot wake a progress thread: %s", std::strerror(errno));
    }
  }
  for (auto& t : threads_) t->thread.join();
}

void Poller::bump() {
  counter_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) != 0) futexWakeAll(&counter_);
}

uint64_t Poller::add(TcpEndpoint* ep) {
  std::unique_lock lock(mu_);
  const uint64_t id = nextId_++;
  endpoints_.emplace(id, ep);
  return id;
}

void Poller::remove(uint64_t id) {
  std::unique_lock lock(mu_);
  endpoints_.erase(id);
}

void Poller::watch(int fd, uint64_t id, size_t conn, uint32_t& current, uint32_t wanted) {
  if (current == wanted) return;
  epoll_event ev{};
  ev.events = wanted;
  ev.data.u64 = (id << kConnBits) | conn;
  const int op = current == 0 ? EPOLL_CTL_ADD : wanted == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
  const int epfd = threads_[conn % threads_.size()]->epoll.fd();
  if (::epoll_ctl(epfd, op, fd, &ev) != 0) {
    // Only a bug can get here (a closed fd or a wrong op): say so, and leave `current` alone.
    WEFT_LOG(Warn, "tcp: epoll_ctl(%d, fd %d) failed: %s", op, fd, std::strerror(errno));
    return;
  }
  current = wanted;
}

bool Poller::peerAlive(int peer) {
  std::shared_lock lock(mu_);
  for (const auto& [id, ep] : endpoints_) {
    if (ep->peer() != peer) continue;
    ep->pump();
    return !ep->gone();
  }
  return true;
}

Deadline Poller::closeDeadline(double seconds) {
  std::lock_guard lock(closeMu_);
  if (!closeDeadline_) closeDeadline_ = Deadline::after(seconds);
  return *closeDeadline_;
}

void Poller::waitChange(uint32_t token, double maxUs) {
  {
    std::shared_lock lock(mu_);
    bool progress = false;
    for (const auto& [id, ep] : endpoints_) progress |= ep->pump();
    if (progress) return;
  }
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  if (counter_.load(std::memory_order_seq_cst) == token && maxUs > 0) futexWait(&counter_, token, maxUs);
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
}

void Poller::run(Thread& t) {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  while (!stop_.load()) {
    const int n = ::epoll_wait(t.epoll.fd(), events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      WEFT_LOG(Warn, "tcp: epoll_wait failed: %s", std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    std::shared_lock lock(mu_);
    for (int i = 0; i < n; ++i) {
      const uint64_t tag = events[i].data.u64;
      if (tag == 0) continue;  // the wake-up eventfd
      // An endpoint may have left since; one may also appear several times (harmless).
      auto it = endpoints_.find(tag >> kConnBits);
      if (it != endpoints_.end()) it->second->pumpConnection(size_t(tag & ((1u << kConnBits) - 1)));
    }
  }
}

}  // namespace weft::transport::tcp
