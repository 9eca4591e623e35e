// SPDX-License-Identifier: Apache-2.0
// Thread ranks for transport tests: each rank builds its own transport, the ranks swap listen()
// blobs and connect every pair, then run a body; exceptions come back to the main thread.
#pragma once

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdlib>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "transport/shm/transport.h"
#include "transport/tcp/transport.h"
#include "transport/transport.h"
#include "weft_config.h"
#if WEFT_HAVE_UCX
#include "transport/ucx/transport.h"
#endif

namespace weft::test {

struct TransportSetup {
  // "shm", "tcp", "ucx" (UCX's own choice, one host) or "ucx-tcp" (UCX over TCP on loopback,
  // every rank on a host of its own as far as the transport knows)
  std::string kind;
  int nranks = 2;
  uint32_t slots = 8;
  size_t slotBytes = 4096;
  int nsocks = 1;
  int nthreads = 1;        // tcp: progress threads
  int family = AF_UNSPEC;  // tcp: AF_INET6 for ::1
};

// A barrier that gives up (throws) after a while, so that one failed rank cannot hang a test.
class TimedBarrier {
 public:
  explicit TimedBarrier(int n) : n_(n) {}
  void arriveAndWait() {
    std::unique_lock lock(mu_);
    const uint64_t gen = gen_;
    if (++waiting_ == n_) {
      waiting_ = 0;
      ++gen_;
      cv_.notify_all();
      return;
    }
    if (!cv_.wait_for(lock, std::chrono::seconds(60), [&] { return gen_ != gen || aborted_; })) {
      throw std::runtime_error("barrier timed out (another rank failed?)");
    }
    if (aborted_) throw Aborted();
  }
  // Makes every current and later wait throw Aborted (a rank failed).
  void abort() {
    std::lock_guard lock(mu_);
    aborted_ = true;
    cv_.notify_all();
  }
  struct Aborted : std::runtime_error {
    Aborted() : std::runtime_error("another rank failed") {}
  };

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  const int n_;
  int waiting_ = 0;
  uint64_t gen_ = 0;
  bool aborted_ = false;
};

// One rank's transport and its endpoints (indexed by peer; null for itself).
struct RankLinks {
  int rank = 0;
  std::unique_ptr<transport::Transport> transport;
  std::vector<std::unique_ptr<transport::Endpoint>> eps;
};

inline std::string uniqueTag() {
  static std::atomic<int> counter{0};
  return "t" + std::to_string(::getpid()) + "x" + std::to_string(counter++);
}

inline std::unique_ptr<transport::Transport> makeTransport(const TransportSetup& s, int rank, const std::string& tag) {
  if (s.kind == "shm") {
    return std::make_unique<transport::shm::ShmTransport>(
        transport::shm::ShmOptions{rank, s.nranks, tag, s.slots, s.slotBytes});
  }
#if WEFT_HAVE_UCX
  if (s.kind == "ucx" || s.kind == "ucx-tcp") {
    transport::ucx::UcxOptions o;
    o.rank = rank;
    o.nranks = s.nranks;
    o.jobTag = tag;
    o.hostId = s.kind == "ucx" ? "one-host" : "host" + std::to_string(rank);
    o.acrossHosts = s.kind == "ucx-tcp";  // as the runtime decides (Note [UCX failures])
    o.shmOnly = s.kind == "ucx";
    o.slots = s.slots;
    o.slotBytes = s.slotBytes;
    return std::make_unique<transport::ucx::UcxTransport>(o);
  }
#endif
  transport::tcp::TcpOptions o;
  o.rank = rank;
  o.nranks = s.nranks;
  o.jobTag = tag;
  o.slots = s.slots;
  o.slotBytes = s.slotBytes;
  o.nsocks = s.nsocks;
  o.nthreads = s.nthreads;
  o.ifname = "=lo";
  o.family = s.family;
  o.setupTimeoutSeconds = 20;
  return std::make_unique<transport::tcp::TcpTransport>(o);
}

// Runs body(links, barrier) on s.nranks threads after connecting every pair; rethrows the first
// rank's exception on the calling thread.
// The transports this build can test.
inline std::vector<std::string> builtTransports() {
  std::vector<std::string> out{"shm", "tcp"};
  if (WEFT_HAVE_UCX) out.insert(out.end(), {"ucx", "ucx-tcp"});
  return out;
}

// Sets UCX's variables for one kind of transport while it lives (UCX reads them when a transport
// starts), and puts the old values back.
class UcxEnv {
 public:
  explicit UcxEnv(const std::string& kind) {
    if (kind != "ucx-tcp") return;
    set("UCX_TLS", "tcp");
    set("UCX_NET_DEVICES", "lo");
  }
  ~UcxEnv() {
    for (auto& [name, old] : saved_) {
      if (old.first) ::setenv(name.c_str(), old.second.c_str(), 1);
      else ::unsetenv(name.c_str());
    }
  }
  UcxEnv(const UcxEnv&) = delete;
  UcxEnv& operator=(const UcxEnv&) = delete;

 private:
  void set(const std::string& name, const char* value) {
    const char* old = std::getenv(name.c_str());
    saved_.push_back({name, {old != nullptr, old ? old : ""}});
    ::setenv(name.c_str(), value, 1);
  }
  std::vector<std::pair<std::string, std::pair<bool, std::string>>> saved_;
};

inline void runRanks(const TransportSetup& s, const std::function<void(RankLinks&, TimedBarrier&)>& body) {
  const UcxEnv ucxEnv(s.kind);
  const std::string tag = uniqueTag();
  std::vector<std::vector<std::byte>> blobs(size_t(s.nranks));
  std::vector<std::exception_ptr> errors(size_t(s.nranks));
  TimedBarrier barrier(s.nranks);
  std::vector<std::thread> threads;
  for (int r = 0; r < s.nranks; ++r) {
    threads.emplace_back([&, r] {
      try {
        RankLinks links;
        links.rank = r;
        links.transport = makeTransport(s, r, tag);
        blobs[size_t(r)] = links.transport->listen();
        barrier.arriveAndWait();
        links.eps.resize(size_t(s.nranks));
        for (int p = 0; p < s.nranks; ++p) {
          if (p != r) links.eps[size_t(p)] = links.transport->connect(p, blobs[size_t(p)]);
        }
        barrier.arriveAndWait();
        links.transport->finishSetup();
        body(links, barrier);
        barrier.arriveAndWait();  // nobody tears down while a peer still reads
      } catch (const TimedBarrier::Aborted&) {
        // Another rank's error is the one to report.
      } catch (...) {
        errors[size_t(r)] = std::current_exception();
        barrier.abort();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

// The byte at offset i of message `seq` from `src` to `dst`.
inline std::byte pattern(int src, int dst, uint64_t seq, size_t i) {
  return std::byte(uint8_t(src * 31 + dst * 7 + seq * 13 + i * 3 + (i >> 8)));
}

}  // namespace weft::test
