// SPDX-License-Identifier: Apache-2.0
// The epoll sets, progress threads and progress counter shared by a TcpTransport and its
// endpoints: what moves queued bytes while the rank is busy elsewhere, and what waitToken and
// waitChange sleep on (Note [TCP progress]).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "common/deadline.h"
#include "transport/tcp/socket.h"

namespace weft::transport::tcp {

class TcpEndpoint;

// Note [TCP progress]
// Bytes move only when a connection is "pumped" (nonblocking reads into free receive slots,
// writes of queued messages). The driving thread pumps an endpoint's connections in each of its
// calls, in peerAlive and in waitChange. That alone is not enough: a rank that posts its last
// chunk and then leaves the transport alone (the collective is done) would leave the rest of that
// chunk in its slot forever once the socket buffer filled. So each transport also runs progress
// threads (WEFT_SOCKET_NTHREADS, 1 by default) that sleep in epoll_wait and pump the connections
// whose sockets became ready; connection i of every endpoint belongs to thread i mod nthreads,
// so with several sockets per peer (WEFT_SOCKET_NSOCKS) their bytes can move on several cores at
// once. Each thread's epoll set is level-triggered and holds a socket with EPOLLIN only while its
// connection can read (a receive slot is free for its next message) and with EPOLLOUT only while
// it has queued bytes; a socket with neither is removed, so that an idle, back-pressured or
// hung-up socket (whose EPOLLHUP cannot be masked) never makes epoll_wait spin. Each pump that
// moved bytes or saw a connection end bumps the counter (the wait token) and wakes futex waiters:
// waitChange(token) returns once the counter differs from the token, so a change after
// waitToken() is never missed. Connections are pumped under their own locks (TcpEndpoint,
// Note [TCP framing]); endpoints are looked up under a shared lock, so threads pump in parallel.

// Thread-safe. Shared (shared_ptr) by the transport and its endpoints, so either may go first;
// the progress threads hold no reference and are joined by the destructor.
class Poller {
 public:
  // Starts `threads` progress threads (1..kMaxThreads); throws SystemError.
  explicit Poller(int threads = 1);
  ~Poller();
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  int threads() const { return int(threads_.size()); }
  uint32_t counter() const { return counter_.load(std::memory_order_seq_cst); }
  // Records progress and wakes waitChange.
  void bump();

  // Endpoints register themselves (returns the endpoint's id, never 0) and leave in their
  // destructor; once remove() returns, no progress thread touches the endpoint.
  uint64_t add(TcpEndpoint* ep);
  void remove(uint64_t id);

  // Sets the epoll interest of `fd` (connection `conn` of endpoint `id`, watched by thread
  // conn mod threads()) from `current` to `wanted` (0: not in the set) and stores `wanted` in
  // `current`. Called under the connection's lock.
  void watch(int fd, uint64_t id, size_t conn, uint32_t& current, uint32_t wanted);

  // Pumps `peer`'s endpoint and says whether the peer is still there (true if unknown).
  bool peerAlive(int peer);
  // The deadline by which closing endpoints stop flushing their queued bytes: `seconds` from the
  // first call, the same for every later one, so that many peers that read nothing (stopped, or
  // behind a cut link) cost one wait, not one each. A transport's endpoints close together, when
  // their communicator goes (split and shrink make new transports).
  Deadline closeDeadline(double seconds);
  // See Note [TCP progress].
  void waitChange(uint32_t token, double maxUs);

 private:
  struct Thread {
    Socket epoll;
    Socket wake;  // eventfd that stops it
    std::thread thread;
  };
  void run(Thread& t);  // a progress thread

  std::vector<std::unique_ptr<Thread>> threads_;
  std::atomic<uint32_t> counter_{0};
  std::atomic<uint32_t> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::shared_mutex mu_;  // guards endpoints_ and nextId_: shared to pump, exclusive to change
  std::unordered_map<uint64_t, TcpEndpoint*> endpoints_;
  uint64_t nextId_ = 1;
  std::mutex closeMu_;
  std::optional<Deadline> closeDeadline_;  // guarded by closeMu_
};

inline constexpr int kMaxThreads = 16;

}  // namespace weft::transport::tcp
