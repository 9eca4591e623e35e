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
  if (!started_) {
    started_ = true;
    spinDone_ = policy_.spinUs <= 0;  // oversubscribed: not one pause, go straight to yielding
    spinUntilNs_ = nowNs() + static_cast<uint64_t>(policy_.spinUs * 1000);
  }
  // Reading the clock on every spin would dominate short waits: check it every 8 rounds of 8
  // pauses. Not more rarely: a pause takes up to ~140 cycles on recent x86 cores, so 64 rounds
  // were ~30 us, a floor under every wait whatever spinUs said (measured: an 8-byte all-reduce
  // at 4 ranks on 2 cores took 40 us, and 35 us at 2 ranks on one core).
  if (!spinDone_) {
    if ((++spins_ & 7) != 0 || nowNs() < spinUntilNs_) {
      for (int i = 0; i < 8; ++i) cpuRelax();
      return false;
    }
    spinDone_ = true;
  }
  if (yields_ < policy_.yieldCount) {
    ++yields_;
    sched_yield();
    return false;
  }
  return true;
}

}  // namespace weft
