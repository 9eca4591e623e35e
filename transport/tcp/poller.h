// SPDX-License-Identifier: Apache-2.0
// The epoll set, progress thread and progress counter shared by a TcpTransport and its
// endpoints: what moves queued bytes while the rank is busy elsewhere, and what waitToken and
// waitChange sleep on (Note [TCP progress]).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_map>

#include "transport/tcp/socket.h"

namespace weft::transport::tcp {

class TcpEndpoint;

// Note [TCP progress]
// Bytes move only when an endpoint is "pumped" (nonblocking reads into free receive slots,
// writes of queued messages). The driving thread pumps an endpoint in each of its calls, in
// peerAlive and in waitChange. That alone is not enough: a rank that posts its last chunk and
// then leaves the transport alone (the collective is done) would leave the rest of that chunk
// in its slot forever once the socket buffer filled. So each transport also runs one progress
// thread that sleeps in epoll_wait and pumps the endpoints whose sockets became ready. The epoll
// set is level-triggered and holds a socket with EPOLLIN only while its endpoint can read from
// it (a receive slot is free for its next message) and with EPOLLOUT only while it has queued
// bytes for it; a socket with neither is removed, so that an idle, back-pressured or hung-up
// socket (whose EPOLLHUP cannot be masked) never makes epoll_wait spin. Each pump that moved
// bytes or saw a connection end bumps the counter (the wait token) and wakes futex waiters:
// waitChange(token) returns once the counter differs from the token, so a change after
// waitToken() is never missed.
// Lock order: Poller::mu_, then TcpEndpoint::mu_.

// Thread-safe. Shared (shared_ptr) by the transport and its endpoints, so either may go first;
// the progress thread holds no reference and is joined by the destructor.
class Poller {
 public:
  Poller();  // starts the progress thread; throws SystemError
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  uint32_t counter() const { return counter_.load(std::memory_order_seq_cst); }
  // Records progress and wakes waitChange.
  void bump();

  // Endpoints register themselves (returns the endpoint's id, never 0) and leave in their
  // destructor; once remove() returns, the progress thread no longer touches the endpoint.
  uint64_t add(TcpEndpoint* ep);
  void remove(uint64_t id);

  // Sets the epoll interest of `fd` (owned by endpoint `id`) from `current` to `wanted`
  // (0: not in the set) and stores `wanted` in `current`. Called under the endpoint's lock.
  void watch(int fd, uint64_t id, uint32_t& current, uint32_t wanted);

  // Pumps `peer`'s endpoint and says whether the peer is still there (true if unknown).
  bool peerAlive(int peer);
  // See Note [TCP progress].
  void waitChange(uint32_t token, double maxUs);

 private:
  void run();  // the progress thread

  Socket epoll_;
  Socket wake_;  // eventfd that stops the progress thread
  std::atomic<uint32_t> counter_{0};
  std::atomic<uint32_t> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::mutex mu_;  // guards endpoints_ and nextId_ (taken before any TcpEndpoint::mu_)
  std::unordered_map<uint64_t, TcpEndpoint*> endpoints_;
  uint64_t nextId_ = 1;
  std::thread thread_;
};

}  // namespace weft::transport::tcp
