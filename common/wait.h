// SPDX-License-Identifier: Apache-2.0
// Waiting without starving other ranks: spin briefly, then yield, then sleep on a futex.
// Ranks may outnumber cores (2-core machines run 4-8 ranks), so a waiter must give up its core.
#pragma once

#include <atomic>
#include <cstdint>

namespace weft {

// How long each phase of a wait lasts. Filled by runtime/ from WEFT_SPIN_US / WEFT_YIELD_COUNT.
struct WaitPolicy {
  double spinUs = 20;    // busy-poll with a pause instruction this long
  int yieldCount = 10;   // then sched_yield() this many times
  double sleepCapMs = 10; // then futex sleeps of at most this long (so deadlines are checked)
};

// Futex on a 32-bit word that may live in memory shared between processes (not FUTEX_PRIVATE).
// futexWait returns when *word != expected, on a wake-up, after timeoutUs, or spuriously.
void futexWait(const std::atomic<uint32_t>* word, uint32_t expected, double timeoutUs);
void futexWakeAll(const std::atomic<uint32_t>* word);

// Counts the phases of one wait: call next() after each failed check of the condition; it
// returns false while the caller should spin or yield (it did so already) and true when the
// caller should sleep (on its futex) instead.
class Backoff {
 public:
  explicit Backoff(const WaitPolicy& policy) : policy_(policy) {}
  bool next();
  void reset() { spins_ = 0; yields_ = 0; started_ = false; spinDone_ = false; }

 private:
  const WaitPolicy& policy_;
  bool started_ = false;
  bool spinDone_ = false;
  uint64_t spinUntilNs_ = 0;
  uint64_t spins_ = 0;
  int yields_ = 0;
};

inline void cpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

}  // namespace weft
