// SPDX-License-Identifier: Apache-2.0
// membw's shared-memory one-way latency: two processes ping-pong a counter through one shared page.
#include "bench/membw/shm_latency.h"

#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <new>
#include <optional>
#include <vector>

#include "bench/common/timing.h"

namespace weft::bench::membw {
namespace {

// The atomics live in memory shared by two processes, which only a lock-free atomic supports.
static_assert(std::atomic<uint64_t>::is_always_lock_free);

// One flag per cache line, so that each line has a single writer and moves once per hop.
struct alignas(64) Flag {
  std::atomic<uint64_t> value{0};
};
struct PingPong {
  Flag toChild;   // written by the parent: the round trip it has started
  Flag toParent;  // written by the child: the round trip it has answered
};
static_assert(sizeof(PingPong) == 128);

constexpr double kStallSeconds = 10;  // a peer silent for this long is gone
constexpr size_t kPageBytes = 4096;

void relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();  // eases the spin on the core's sibling thread and on the exit from the loop
#endif
}

// Spins until flag == k; false if that has not happened after kStallSeconds. The clock is read only
// once the wait is already long, so a quick answer costs loads alone.
bool waitFor(const std::atomic<uint64_t>& flag, uint64_t k) {
  std::optional<weft::bench::Stopwatch> stalled;
  for (uint64_t spins = 1; flag.load(std::memory_order_acquire) != k; ++spins) {
    relax();
    if (spins % 65536 != 0) continue;
    if (!stalled) stalled.emplace();
    else if (stalled->seconds() > kStallSeconds) return false;
  }
  return true;
}

// The child: answers round trips 1..total, then exits; it never returns into the parent's code.
[[noreturn]] void answer(PingPong& pp, uint64_t total) noexcept {
  for (uint64_t k = 1; k <= total; ++k) {
    if (!waitFor(pp.toChild.value, k)) _exit(1);
    pp.toParent.value.store(k, std::memory_order_release);
  }
  _exit(0);
}

// Unmaps the shared page on every path.
class SharedPage {
 public:
  SharedPage()
      : addr_(mmap(nullptr, kPageBytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0)) {}
  ~SharedPage() {
    if (ok()) munmap(addr_, kPageBytes);
  }
  SharedPage(const SharedPage&) = delete;
  SharedPage& operator=(const SharedPage&) = delete;
  bool ok() const { return addr_ != MAP_FAILED; }
  void* get() const { return addr_; }

 private:
  void* addr_;
};

// Owns the forked child: reap() collects a child that has finished; on any other path the
// destructor kills it first, so no child outlives the measurement and none is left a zombie.
class Child {
 public:
  explicit Child(pid_t pid) : pid_(pid) {}
  ~Child() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    reap();
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  // Waits for the child to exit; true if it exited with status 0.
  bool reap() {
    int status = 0;
    pid_t got;
    do got = waitpid(pid_, &status, 0);
    while (got < 0 && errno == EINTR);
    pid_ = -1;
    return got > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
  }

 private:
  pid_t pid_;
};

}  // namespace

std::optional<double> shmOneWayLatency(size_t trips, int runs) {
  SharedPage page;
  if (!page.ok()) {
    std::fprintf(stderr, "membw: latency: mmap of a shared page failed: %s\n", std::strerror(errno));
    return std::nullopt;
  }
  auto* pp = new (page.get()) PingPong;  // trivially destructible: the page just goes away
  const uint64_t total = static_cast<uint64_t>(trips) * (runs + 1);  // + one untimed run

  std::fflush(nullptr);  // output still buffered must not be written twice by the two processes
  const pid_t pid = fork();
  if (pid < 0) {
    std::fprintf(stderr, "membw: latency: fork failed: %s\n", std::strerror(errno));
    return std::nullopt;
  }
  if (pid == 0) answer(*pp, total);
  Child child(pid);

  uint64_t k = 0;
  auto roundTrips = [&] {
    for (size_t i = 0; i < trips; ++i) {
      pp->toChild.value.store(++k, std::memory_order_release);
      if (!waitFor(pp->toParent.value, k)) return false;
    }
    return true;
  };
  bool ok = roundTrips();  // warm-up: both processes running, the lines in place
  std::vector<double> perTrip;
  for (int r = 0; ok && r < runs; ++r) {
    weft::bench::Stopwatch watch;
    ok = roundTrips();
    perTrip.push_back(watch.seconds() / trips);
  }
  if (!ok) {
    std::fprintf(stderr, "membw: latency: the child stopped answering at round trip %llu\n",
                 static_cast<unsigned long long>(k));
    return std::nullopt;  // ~Child kills and reaps it
  }
  if (!child.reap()) {
    std::fprintf(stderr, "membw: latency: the child did not exit cleanly\n");
    return std::nullopt;
  }
  const auto mid = perTrip.begin() + perTrip.size() / 2;
  std::nth_element(perTrip.begin(), mid, perTrip.end());
  return *mid / 2;
}

}  // namespace weft::bench::membw
