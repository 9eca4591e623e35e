// SPDX-License-Identifier: Apache-2.0
#include "collectives/device/ring_host.h"

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>

#include "collectives/device/ring_program.h"
#include "collectives/kernels/reduce.h"

namespace weft::coll::devring {
namespace {

// One block of one thread: waits poll with acquire loads (spinning, then napping: the peers are
// host threads too), publishing is a release store.
class HostContext {
 public:
  HostContext(const RingJob& j, const View& view) : j_(j), view_(view) {}

  unsigned char* at(const unsigned char* p) const { return view_(p); }

  bool stopped() const { return abortWord().load(std::memory_order_acquire) != 0; }

  bool waitAtLeast(const uint64_t* p, uint64_t v) const {
    std::atomic_ref<uint64_t> a(*const_cast<uint64_t*>(p));
    for (int spins = 0; a.load(std::memory_order_acquire) < v; ++spins) {
      if (stopped()) return false;
      if (spins < 100) continue;
      if (spins < 200) std::this_thread::yield();
      else std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
    return true;
  }

  void publish(uint64_t* p, uint64_t v) const { std::atomic_ref<uint64_t>(*p).store(v, std::memory_order_release); }
  bool uniform(bool v) const { return v; }  // one thread: its own

  void putStamp(unsigned char* p, const uint64_t s[2]) const { std::memcpy(p, s, kStampBytes); }
  void readStamp(const unsigned char* p, uint64_t s[2]) const { std::memcpy(s, p, kStampBytes); }
  void reportMismatch(MismatchReport* r, int from, const uint64_t got[2]) const {
    r->got[0] = got[0];
    r->got[1] = got[1];
    r->want[0] = j_.stamp[0];
    r->want[1] = j_.stamp[1];
    r->from = from;
    std::atomic_ref<uint32_t>(r->posted).store(1, std::memory_order_release);
    abortWord().store(1, std::memory_order_release);
  }

  void copy(unsigned char* dst, unsigned char* dst2, const unsigned char* src, uint64_t bytes) const {
    if (bytes == 0) return;
    if (dst != src) std::memcpy(dst, src, bytes);
    if (dst2 != nullptr) std::memcpy(dst2, src, bytes);
  }

  void reduce(unsigned char* dst, unsigned char* dst2, const unsigned char* a, const unsigned char* b, uint64_t n,
              bool final) const {
    if (n == 0) return;
    const auto dt = DataType(j_.dtype);
    reduce::apply(ReduceOp(j_.op), dt, dst, a, b, n);
    if (final && ReduceOp(j_.op) == ReduceOp::Avg) reduce::divide(dt, dst, n, j_.size);
    if (dst2 != nullptr) std::memcpy(dst2, dst, n * j_.elemSize);
  }

 private:
  std::atomic_ref<uint32_t> abortWord() const { return std::atomic_ref<uint32_t>(*const_cast<uint32_t*>(j_.abort)); }

  const RingJob& j_;
  const View& view_;
};

}  // namespace

bool runOnHost(const RingJob& job, const View& view) {
  HostContext ctx(job, view);
  bool ok = true;
  for (uint32_t c = 0; c < job.geo.channels; ++c) ok = runChannel(ctx, job, c) && ok;
  return ok;
}

}  // namespace weft::coll::devring
