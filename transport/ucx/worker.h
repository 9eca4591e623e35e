// SPDX-License-Identifier: Apache-2.0
// One UCX context and worker, shared by a UcxTransport and its endpoints: the lock every UCX call
// is made under, progress, waiting on the worker's event fd, and the idle helper thread
// (Note [UCX progress]).
#pragma once

#include <ucp/api/ucp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "common/deadline.h"

namespace weft::transport::ucx {

// Note [UCX progress]
// UCX moves data only inside ucp_worker_progress. The driving thread progresses the worker in
// every endpoint call, in peerAlive and in waitChange, where it arms the worker and sleeps on its
// event fd. That alone is not enough, for the same reason as TCP's (Note [TCP progress]): a rank
// that posts its last chunk and leaves the transport alone would strand it when UCX needs the
// sender's help to finish (a rendezvous the receiver fetches and acknowledges, a TCP socket that
// was full), or a receiver's acknowledgement that UCX had to queue. A send UCX reports complete at
// once may still sit in UCX's own buffers. So after any traffic the worker counts as unflushed,
// and a helper thread, once the driving thread has not touched the worker for a millisecond,
// progresses it and flushes it (ucp_worker_flush_nbx: every operation issued so far completed at
// its peer) until nothing is outstanding; then it sleeps on a condition variable. Both threads hold mu() for every UCX call (the worker is created
// UCS_THREAD_MODE_SERIALIZED), and completion callbacks run under it. While the driving thread
// sleeps in waitChange the helper stays out, so it cannot swallow the event the sleeper waits for.

// Thread-safe where noted; everything else must be called with mu() held.
class Worker {
 public:
  // Creates the context (tag matching and wake-up) and a worker; `shmOnly`: limited to the
  // shared-memory transports that cannot fail an operation (Note [UCX failures]). Throws
  // SystemError.
  Worker(int rank, int nranks, bool shmOnly);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  std::mutex& mu() { return mu_; }
  ucp_worker_h handle() const { return worker_; }
  std::vector<std::byte> address() const;

  // Progresses until UCX reports nothing more to do (bounded). Marks the driving thread active.
  void progress();
  // Thread-safe. The wait token: changes whenever an operation completes or a peer fails.
  uint32_t counter() const { return counter_.load(std::memory_order_acquire); }
  void bump() { counter_.fetch_add(1, std::memory_order_acq_rel); }
  // Thread-safe; takes mu() itself. Returns once the counter differs from `token`, after
  // maxUs, or spuriously.
  void waitChange(uint32_t token, double maxUs);

  // Sends outstanding (their callbacks not yet run), for waitChange's naps.
  void sendStarted() { pendingSends_.fetch_add(1, std::memory_order_acq_rel); }
  void sendFinished() { pendingSends_.fetch_sub(1, std::memory_order_acq_rel); }
  // A send was posted or a receive completed: the helper must see the worker flushed.
  void noteTraffic();
  // One deadline for closing all endpoints, started by the first to close.
  const Deadline& closeDeadline(double seconds);

  // Peer failures reported by UCX through an endpoint's error handler. Thread-safe.
  void* errorArg(int peer) { return &peers_[peer]; }
  static void onEndpointError(void* arg, ucp_ep_h ep, ucs_status_t status);
  bool failed(int peer) const { return peers_[peer].failed.load(std::memory_order_acquire); }

  // Keeps `what` alive until the worker is destroyed: memory an operation that never completed
  // may still write to.
  void bury(std::shared_ptr<void> what) { graveyard_.push_back(std::move(what)); }

 private:
  struct PeerState {
    Worker* worker = nullptr;
    int peer = 0;
    std::atomic<bool> failed{false};
  };
  void helperLoop();
  bool helperHasWork() const;
  void idleProgress();  // the helper's turn, under mu_

  ucp_context_h context_ = nullptr;
  ucp_worker_h worker_ = nullptr;
  int efd_ = -1;
  std::mutex mu_;
  std::atomic<uint32_t> counter_{0};
  std::atomic<int> pendingSends_{0};
  std::atomic<bool> unflushed_{false};     // traffic since the last flush was posted
  std::atomic<bool> flushing_{false};      // flushReq_ is in flight
  void* flushReq_ = nullptr;               // guarded by mu_
  std::atomic<bool> helperAsleep_{false};
  std::optional<Deadline> closeDeadline_;  // guarded by mu_
  std::atomic<bool> sleeping_{false};  // the driving thread is in waitChange's poll
  std::atomic<int64_t> lastTouchNs_{0};
  std::unique_ptr<PeerState[]> peers_;
  std::vector<std::shared_ptr<void>> graveyard_;
  std::mutex helperMu_;
  std::condition_variable helperCv_;
  bool stop_ = false;  // guarded by helperMu_
  std::thread helper_;
};

// "UCX <what> failed: <UCX's message>" as a SystemError.
[[noreturn]] void throwStatus(const std::string& what, ucs_status_t status);

}  // namespace weft::transport::ucx
