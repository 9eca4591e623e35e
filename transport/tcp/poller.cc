// SPDX-License-Identifier: Apache-2.0
// epoll bookkeeping, the progress thread and the waitChange sleep of the TCP transport.
#include "transport/tcp/poller.h"

#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/error.h"
#include "common/log.h"
#include "common/wait.h"
#include "transport/tcp/endpoint.h"

namespace weft::transport::tcp {

Poller::Poller() : epoll_(::epoll_create1(EPOLL_CLOEXEC)), wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!epoll_.valid()) throw SystemError("tcp: epoll_create1 failed", errno);
  if (!wake_.valid()) throw SystemError("tcp: eventfd failed", errno);
  uint32_t none = 0;
  watch(wake_.fd(), 0, none, EPOLLIN);
  const int logRank = log::threadRank();
  thread_ = std::thread([this, logRank] {
    log::setThreadRank(logRank);
    ::pthread_setname_np(::pthread_self(), "weft-tcp");
    run();
  });
}

Poller::~Poller() {
  stop_.store(true);
  const uint64_t one = 1;
  if (::write(wake_.fd(), &one, sizeof(one)) < 0) {
    WEFT_LOG(Warn, "tcp: cannot wake the progress thread: %s", std::strerror(errno));
  }
  thread_.join();
}

void Poller::bump() {
  counter_.fetch_add(1, std::memory_order_seq_cst);
  if (sleepers_.load(std::memory_order_seq_cst) != 0) futexWakeAll(&counter_);
}

uint64_t Poller::add(TcpEndpoint* ep) {
  std::lock_guard lock(mu_);
  const uint64_t id = nextId_++;
  endpoints_.emplace(id, ep);
  return id;
}

void Poller::remove(uint64_t id) {
  std::lock_guard lock(mu_);
  endpoints_.erase(id);
}

void Poller::watch(int fd, uint64_t id, uint32_t& current, uint32_t wanted) {
  if (current == wanted) return;
  epoll_event ev{};
  ev.events = wanted;
  ev.data.u64 = id;
  const int op = current == 0 ? EPOLL_CTL_ADD : wanted == 0 ? EPOLL_CTL_DEL : EPOLL_CTL_MOD;
  if (::epoll_ctl(epoll_.fd(), op, fd, &ev) != 0) {
    // Only a bug can get here (a closed fd or a wrong op): say so, and leave `current` alone.
    WEFT_LOG(Warn, "tcp: epoll_ctl(%d, fd %d) failed: %s", op, fd, std::strerror(errno));
    return;
  }
  current = wanted;
}

bool Poller::peerAlive(int peer) {
  std::lock_guard lock(mu_);
  for (const auto& [id, ep] : endpoints_) {
    if (ep->peer() != peer) continue;
    ep->pump();
    return !ep->gone();
  }
  return true;
}

void Poller::waitChange(uint32_t token, double maxUs) {
  {
    std::lock_guard lock(mu_);
    bool progress = false;
    for (const auto& [id, ep] : endpoints_) progress |= ep->pump();
    if (progress) return;
  }
  sleepers_.fetch_add(1, std::memory_order_seq_cst);
  if (counter_.load(std::memory_order_seq_cst) == token && maxUs > 0) futexWait(&counter_, token, maxUs);
  sleepers_.fetch_sub(1, std::memory_order_seq_cst);
}

void Poller::run() {
  constexpr int kMaxEvents = 64;
  epoll_event events[kMaxEvents];
  while (!stop_.load()) {
    const int n = ::epoll_wait(epoll_.fd(), events, kMaxEvents, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      WEFT_LOG(Warn, "tcp: epoll_wait failed: %s", std::strerror(errno));
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      continue;
    }
    std::lock_guard lock(mu_);
    for (int i = 0; i < n; ++i) {
      // An endpoint may have left since; one may also appear several times (harmless).
      auto it = endpoints_.find(events[i].data.u64);
      if (it != endpoints_.end()) it->second->pump();
    }
  }
}

}  // namespace weft::transport::tcp
