// SPDX-License-Identifier: Apache-2.0
// Futex system calls and the spin/yield/sleep backoff.
#include "common/wait.h"

#include <linux/futex.h>
#include <sched.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

namespace weft {
namespace {
uint64_t nowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return uint64_t(ts.tv_sec) * 1000000000ull + uint64_t(ts.tv_nsec);
}
}  // namespace

void futexWait(const std::atomic<uint32_t>* word, uint32_t expected, double timeoutUs) {
  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  timespec ts;
  auto us = timeoutUs < 1 ? 1 : static_cast<long long>(timeoutUs);
  ts.tv_sec = us / 1000000;
  ts.tv_nsec = (us % 1000000) * 1000;
  // EAGAIN (value changed), EINTR and ETIMEDOUT all mean "look again": the caller re-checks.
  syscall(SYS_futex, reinterpret_cast<const uint32_t*>(word), FUTEX_WAIT, expected, &ts, nullptr, 0);
}

void futexWakeAll(const std::atomic<uint32_t>* word) {
  syscall(SYS_futex, reinterpret_cast<const uint32_t*>(word), FUTEX_WAKE, 0x7fffffff, nullptr,
          nullptr, 0);
}

bool Backoff::next() {
  // Note [Spin clock]: reading the clock costs as much as a look at the links, so the spin
  // deadline is checked every 64 calls, and started at the first check rather than the first call:
  // a wait that ends within 64 looks never reads the clock. One pause between looks, not more: a
  // pause takes up to ~140 cycles on recent x86 cores, so 8 of them put 0.4 us between a peer's
  // post and our seeing it. The checks must stay frequent: at 64x8 pauses between them every
  // wait spun ~30 us whatever spinUs said (an 8-byte all-reduce at 4 ranks on 2 cores took 40 us).
  if (!spinDone_) {
    if (policy_.spinUs <= 0) {
      spinDone_ = true;  // oversubscribed: not one pause, go straight to yielding
    } else if ((++spins_ & 63) != 0) {
      cpuRelax();
      return false;
    } else {
      const uint64_t now = nowNs();
      if (!started_) {
        started_ = true;
        spinUntilNs_ = now + static_cast<uint64_t>(policy_.spinUs * 1000);
      }
      if (now < spinUntilNs_) {
        cpuRelax();
        return false;
      }
      spinDone_ = true;
    }
  }
  if (yields_ < policy_.yieldCount) {
    ++yields_;
    sched_yield();
    return false;
  }
  return true;
}

}  // namespace weft
