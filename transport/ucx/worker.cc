// SPDX-License-Identifier: Apache-2.0
// The UCX context and worker, progress and waiting (Note [UCX progress]).
#include "transport/ucx/worker.h"

#include <poll.h>

#include <cerrno>

#include "common/error.h"
#include "common/log.h"

namespace weft::transport::ucx {
namespace {

constexpr int kProgressRounds = 64;  // ucp_worker_progress calls per progress() at most
constexpr int64_t kIdleNs = 1'000'000;       // the helper steps in after 1 ms without the driver
constexpr auto kHelperPeriod = std::chrono::microseconds(500);
constexpr int64_t kSendWaitCapNs = 1'000'000;  // sleep at most this long while our sends are in flight
constexpr int64_t kNapNs = 100'000;            // the nap when the event fd cannot be trusted
constexpr int kBusyRetries = 64;               // arm attempts before the fd counts as untrustworthy
constexpr const char* kShmOnlyTls = "posix,sysv,self";  // Note [UCX failures]

int64_t nowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void throwStatus(const std::string& what, ucs_status_t status) {
  throw SystemError("UCX " + what + " failed: " + ucs_status_string(status));
}

Worker::Worker(int rank, int nranks, bool shmOnly) : peers_(new PeerState[size_t(nranks)]) {
  for (int p = 0; p < nranks; ++p) {
    peers_[p].worker = this;
    peers_[p].peer = p;
  }
  ucp_config_t* config = nullptr;
  ucs_status_t st = ucp_config_read(nullptr, nullptr, &config);
  if (st != UCS_OK) throwStatus("reading its configuration (UCX_* variables)", st);
  if (shmOnly) {
    st = ucp_config_modify(config, "TLS", kShmOnlyTls);
    if (st != UCS_OK) {
      ucp_config_release(config);
      throwStatus(std::string("limiting its transports to ") + kShmOnlyTls, st);
    }
  }
  ucp_params_t params{};
  params.field_mask = UCP_PARAM_FIELD_FEATURES | UCP_PARAM_FIELD_ESTIMATED_NUM_EPS | UCP_PARAM_FIELD_MT_WORKERS_SHARED;
  params.features = UCP_FEATURE_TAG | UCP_FEATURE_WAKEUP;
  params.estimated_num_eps = size_t(nranks);
  params.mt_workers_shared = 0;
  st = ucp_init(&params, config, &context_);
  ucp_config_release(config);
  if (st != UCS_OK) throwStatus("context creation (ucp_init)", st);
  ucp_worker_params_t wp{};
  wp.field_mask = UCP_WORKER_PARAM_FIELD_THREAD_MODE;
  wp.thread_mode = UCS_THREAD_MODE_SERIALIZED;
  st = ucp_worker_create(context_, &wp, &worker_);
  if (st != UCS_OK) {
    ucp_cleanup(context_);
    throwStatus("worker creation", st);
  }
  st = ucp_worker_get_efd(worker_, &efd_);
  if (st != UCS_OK) {
    ucp_worker_destroy(worker_);
    ucp_cleanup(context_);
    throwStatus("event fd", st);
  }
  WEFT_LOG(Trace, "ucx: rank %d created a worker", rank);
  helper_ = std::thread([this] { helperLoop(); });
}

Worker::~Worker() {
  {
    std::lock_guard<std::mutex> lock(helperMu_);
    stop_ = true;
  }
  helperCv_.notify_all();
  helper_.join();
  if (flushReq_ != nullptr) ucp_request_free(flushReq_);  // released by UCX if it ever completes
  ucp_worker_destroy(worker_);
  ucp_cleanup(context_);
  graveyard_.clear();
}

std::vector<std::byte> Worker::address() const {
  ucp_address_t* addr = nullptr;
  size_t len = 0;
  const ucs_status_t st = ucp_worker_get_address(worker_, &addr, &len);
  if (st != UCS_OK) throwStatus("worker address", st);
  const auto* p = reinterpret_cast<const std::byte*>(addr);
  std::vector<std::byte> out(p, p + len);
  ucp_worker_release_address(worker_, addr);
  return out;
}

void Worker::progress() {
  lastTouchNs_.store(nowNs(), std::memory_order_relaxed);
  // Callbacks bump the counter: UCX's own count of events includes its housekeeping, which
  // would wake waiters for nothing.
  for (int i = 0; i < kProgressRounds && ucp_worker_progress(worker_) != 0; ++i) {
  }
}

void Worker::waitChange(uint32_t token, double maxUs) {
  const int64_t end = nowNs() + int64_t(std::max(0.0, maxUs) * 1e3);
  bool useFd = true;  // until the fd shows readiness that progress does not clear
  for (int busy = 0;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (counter() != token) return;
      progress();
      if (counter() != token) return;
      if (useFd) {
        // Busy: events arrived since the last progress; take them and try again.
        const ucs_status_t st = ucp_worker_arm(worker_);
        if (st == UCS_ERR_BUSY && ++busy < kBusyRetries) continue;
        if (st == UCS_ERR_BUSY) useFd = false;
        else if (st != UCS_OK) throwStatus("arming the worker", st);
        else sleeping_.store(true, std::memory_order_release);
      }
    }
    const int64_t left = end - nowNs();
    if (left <= 0) {
      sleeping_.store(false, std::memory_order_release);
      return;
    }
    // Events the fd does not carry (a full socket draining) need a look now and then.
    int64_t napNs = pendingSends_.load(std::memory_order_acquire) > 0 ? kSendWaitCapNs : left;
    if (!useFd) napNs = kNapNs;
    napNs = std::min(napNs, left);
    const timespec ts{time_t(napNs / 1'000'000'000), long(napNs % 1'000'000'000)};
    bool ready = false;
    if (useFd) {
      pollfd pfd{efd_, POLLIN, 0};
      ready = ::ppoll(&pfd, 1, &ts, nullptr) > 0;
    } else {
      ::nanosleep(&ts, nullptr);
    }
    std::lock_guard<std::mutex> lock(mu_);
    sleeping_.store(false, std::memory_order_release);
    progress();
    if (counter() != token) return;
    // Some UCX transports leave the fd readable for their own housekeeping (TCP connection
    // set-up, handled by UCX's async thread): then nap instead of spinning on it.
    if (ready) useFd = false;
  }
}

void Worker::noteTraffic() {
  if (unflushed_.exchange(true, std::memory_order_seq_cst)) return;
  // The helper sets helperAsleep_ before it looks for work, we set unflushed_ before we look at
  // helperAsleep_ (both seq_cst): one of the two sees the other.
  if (helperAsleep_.load(std::memory_order_seq_cst)) {
    std::lock_guard<std::mutex> lock(helperMu_);
    helperCv_.notify_one();
  }
}

const Deadline& Worker::closeDeadline(double seconds) {
  if (!closeDeadline_) closeDeadline_ = Deadline::after(seconds);
  return *closeDeadline_;
}

bool Worker::helperHasWork() const {
  return unflushed_.load(std::memory_order_seq_cst) || flushing_.load(std::memory_order_seq_cst) ||
         pendingSends_.load(std::memory_order_seq_cst) > 0;
}

void Worker::idleProgress() {
  progress();
  if (flushReq_ != nullptr && ucp_request_check_status(flushReq_) != UCS_INPROGRESS) {
    ucp_request_free(flushReq_);
    flushReq_ = nullptr;
    flushing_.store(false, std::memory_order_seq_cst);
  }
  if (flushReq_ == nullptr && unflushed_.exchange(false, std::memory_order_seq_cst)) {
    ucp_request_param_t p{};
    const ucs_status_ptr_t r = ucp_worker_flush_nbx(worker_, &p);
    if (r != nullptr && !UCS_PTR_IS_ERR(r)) {
      flushReq_ = r;
      flushing_.store(true, std::memory_order_seq_cst);
      progress();
    }
  }
}

void Worker::onEndpointError(void* arg, ucp_ep_h, ucs_status_t status) {
  auto* p = static_cast<PeerState*>(arg);
  if (!p->failed.exchange(true)) {
    WEFT_LOG(Info, "ucx: the link to rank %d failed: %s", p->peer, ucs_status_string(status));
  }
  p->worker->bump();
}

void Worker::helperLoop() {
  std::unique_lock<std::mutex> lock(helperMu_);
  while (!stop_) {
    if (!helperHasWork()) {
      helperAsleep_.store(true, std::memory_order_seq_cst);
      helperCv_.wait(lock, [&] { return stop_ || helperHasWork(); });
      helperAsleep_.store(false, std::memory_order_seq_cst);
      continue;
    }
    helperCv_.wait_for(lock, kHelperPeriod, [&] { return stop_; });
    if (stop_) break;
    lock.unlock();
    if (!sleeping_.load(std::memory_order_acquire) &&
        nowNs() - lastTouchNs_.load(std::memory_order_relaxed) >= kIdleNs) {
      std::unique_lock<std::mutex> w(mu_, std::try_to_lock);
      if (w.owns_lock() && !sleeping_.load(std::memory_order_acquire)) {
        const int64_t touched = lastTouchNs_.load(std::memory_order_relaxed);
        idleProgress();
        lastTouchNs_.store(touched, std::memory_order_relaxed);  // the helper is not the driver
      }
    }
    lock.lock();
  }
}

}  // namespace weft::transport::ucx
