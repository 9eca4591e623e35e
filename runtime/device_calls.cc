// SPDX-License-Identifier: Apache-2.0
#include "runtime/device_calls.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>
#include <thread>

#include "common/error.h"
#include "common/log.h"
#include "collectives/signature.h"
#include "runtime/communicator.h"
#include "transport/shared_memory.h"

namespace weft::runtime {

// Note [Stream-ordered calls]: a call with a stream runs as NCCL's do, in the stream's order and
// without blocking the host. Its buffers are device memory (checked: host and device buffers do
// not mix in a call). The call enqueues on the caller's stream, and returns:
//   1. copies of what this rank reads (coll::footprint) into a pinned host block, and an event;
//   2. a wait until the communicator's counter reaches the call's ticket (a one-thread kernel
//      polling pinned memory, transport/cuda/stream_wait.cu);
//   3. copies of what the rank writes from the block back to the device buffers, and an event.
// The host call over the block goes to the communicator's progress thread, in order with the
// rest; before it starts, the progress thread waits (within the call's deadline) for the first
// event, so the collective reads what the kernels before it on the stream wrote. When it ends,
// whether it succeeded or failed, the counter moves on and the stream copies the results back,
// so later work on the stream sees them. A call that failed leaves its output undefined (as
// NCCL's do), the error is the communicator's (weftCommGetAsyncError) and the request's.
// Blocks are reused once their second event is done, and the calls stay small: nothing here
// waits on the device from the caller's thread. This is the path that works everywhere (any
// transport, across hosts, several ranks on one GPU); between ranks of one host, all-reduce and
// broadcast take the device ring instead (Note [Device link] in runtime/device_link.cc).
namespace {

std::atomic<bool> gStreamsUsed{false};

constexpr size_t kAlign = 64;
size_t alignUp(size_t n) { return (n + kAlign - 1) / kAlign * kAlign; }

// The smallest block worth pinning: pinning costs a system call and page faults, so small
// calls share one size and reuse it.
constexpr size_t kMinBlock = 64 * 1024;
size_t blockSize(size_t bytes) {
  size_t b = kMinBlock;
  while (b < bytes) b *= 2;
  return b;
}

bool overlap(const void* a, size_t an, const void* b, size_t bn) {
  const auto x = reinterpret_cast<uintptr_t>(a), y = reinterpret_cast<uintptr_t>(b);
  return x < y + bn && y < x + an;
}

}  // namespace

bool streamsUsed() { return gStreamsUsed.load(std::memory_order_relaxed); }

void noteStreamsUsed() { gStreamsUsed.store(true, std::memory_order_relaxed); }

DeviceCalls::DeviceCalls(device::Runtime& rt, const WaitPolicy& wait, double closeSeconds)
    : rt_(rt), wait_(wait), closeSeconds_(closeSeconds) {
  counter_ = new (device::allocPinnedPage(rt_)) std::atomic<uint64_t>(0);
}

DeviceCalls::~DeviceCalls() {
  counter_->store(UINT64_MAX, std::memory_order_release);  // no stream waits for us any more
  const Deadline deadline = Deadline::after(closeSeconds_);
  bool leaked = false;
  for (auto& b : blocks_) {
    while (!leaked && !rt_.done(b->emptied) && !deadline.expired()) std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (!leaked && rt_.done(b->emptied)) {
      free(*b);
    } else {
      leaked = true;  // a stream still holds it (its work before the call never finished)
    }
  }
  if (leaked) {
    WEFT_LOG(Warn, "a stream still uses this communicator's staging after %.0f s; it is left allocated", closeSeconds_);
  } else {
    device::freePinnedPage(rt_, counter_);
  }
}

void DeviceCalls::free(Block& b) {
  if (b.host != nullptr) {
    rt_.unpin(b.host);
    transport::freeShared(b.host);
  }
  if (b.filled != nullptr) rt_.destroyEvent(b.filled);
  if (b.emptied != nullptr) rt_.destroyEvent(b.emptied);
  b = Block{};
}

DeviceCalls::Block& DeviceCalls::take(size_t bytes) {
  Block* best = nullptr;
  for (auto& b : blocks_) {
    if (b->bytes >= bytes && !b->taken && (best == nullptr || b->bytes < best->bytes) && rt_.done(b->emptied)) {
      best = b.get();
    }
  }
  if (best != nullptr) return *best;
  // A new block; the idle ones smaller than it go, so that a sweep of sizes keeps about one.
  const size_t size = blockSize(bytes);
  std::erase_if(blocks_, [&](const std::unique_ptr<Block>& b) {
    if (b->bytes >= size || b->taken || !rt_.done(b->emptied)) return false;
    free(*b);
    return true;
  });
  auto b = std::make_unique<Block>();
  b->filled = rt_.createEvent();
  b->emptied = rt_.createEvent();
  // From weft's shared allocator (weftMemAlloc's): a peer process on this host can then load
  // and store the staged data where it lies (the one-copy "shared" algorithms), as with a user's
  // shared buffers.
  void* host = transport::allocateShared(size);
  try {
    rt_.pin(host, size);
  } catch (...) {
    transport::freeShared(host);
    free(*b);
    throw;
  }
  b->host = static_cast<std::byte*>(host);
  b->bytes = size;
  blocks_.push_back(std::move(b));
  return *blocks_.back();
}

DeviceCalls::Staged DeviceCalls::stage(const coll::CollArgs& args, const coll::Footprint& f, device::Stream stream,
                                       bool landing) {
  std::lock_guard<std::mutex> lock(mu_);
  // The layout of the block: an input and output that overlap (a call in place) keep their
  // offsets from each other, so the host call is in place too; otherwise input, then output.
  size_t total = 0, inAt = 0, outAt = 0;
  if (f.in != nullptr && f.out != nullptr && overlap(f.in, f.inBytes, f.out, f.outBytes)) {
    const auto in = reinterpret_cast<uintptr_t>(f.in), out = reinterpret_cast<uintptr_t>(f.out);
    const uintptr_t base = std::min(in, out);
    total = std::max(in + f.inBytes, out + f.outBytes) - base;
    inAt = in - base;
    outAt = out - base;
  } else {
    outAt = alignUp(f.inBytes);
    total = outAt + f.outBytes;
  }
  // What may throw comes first: once a ticket is taken, later calls' streams wait for it.
  const int device = rt_.currentDevice();
  // A request's own event (a block's is re-recorded when the block is reused), freed with the
  // last copy of the functions below.
  std::shared_ptr<void> landed;
  if (landing) {
    device::Runtime* rt = &rt_;
    landed = std::shared_ptr<void>(rt_.createEvent(), [rt](void* e) { rt->destroyEvent(e); });
  }
  Block& b = take(total);
  b.taken = true;
  Staged s;
  s.host = args;
  s.host.send = f.in != nullptr ? b.host + inAt : nullptr;
  s.host.recv = f.out != nullptr ? b.host + outAt : nullptr;
  const uint64_t ticket = ++issued_;
  try {
    if (f.in != nullptr) rt_.copyAsync(b.host + inAt, f.in, f.inBytes, stream);
    rt_.record(b.filled, stream);
  } catch (...) {
    b.taken = false;
    advance(ticket);  // nobody will run it: later calls' streams go on without it
    throw;
  }
  Block* block = &b;  // blocks live in unique_ptrs: the address stays
  if (landed) s.landed = [rt = &rt_, landed] { return rt->done(landed.get()); };
  s.out = [this, block, ticket, stream, landed, out = f.out, bytes = f.outBytes, from = b.host + outAt] {
    std::lock_guard<std::mutex> lock(mu_);
    block->taken = false;  // from here its second event tells when it is free
    rt_.waitAtLeast(stream, counter_, ticket);
    if (out != nullptr) rt_.copyAsync(out, from, bytes, stream);
    rt_.record(block->emptied, stream);
    if (landed) rt_.record(landed.get(), stream);
  };
  s.ready = [this, filled = b.filled, args, device](const Deadline& deadline, const std::atomic<bool>& aborted) {
    rt_.useDevice(device);  // on the progress thread: the caller's device, not device 0
    Backoff backoff(wait_);
    while (!rt_.done(filled)) {
      if (aborted.load(std::memory_order_acquire)) {
        throw InvalidUsage(std::string(coll::collName(args.kind)) + " on a stream, waiting for the stream: " +
                           coll::kAbortedByUser);
      }
      if (deadline.expired()) {
        throw Timeout(std::string(coll::collName(args.kind)) + " on a stream: the stream did not reach the call " +
                      deadline.describe() + " (WEFT_TIMEOUT): the work enqueued on it before the call has not finished");
      }
      if (backoff.next()) std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  };
  s.release = [this, ticket] { released(ticket); };
  return s;
}

void DeviceCalls::released(uint64_t ticket) {
  std::lock_guard<std::mutex> lock(mu_);
  advance(ticket);
}

void DeviceCalls::advance(uint64_t ticket) {
  uint64_t now = counter_->load(std::memory_order_relaxed);
  if (ticket != now + 1) {
    early_.insert(ticket);
    return;
  }
  ++now;
  while (!early_.empty() && *early_.begin() == now + 1) {
    early_.erase(early_.begin());
    ++now;
  }
  counter_->store(now, std::memory_order_release);
}

}  // namespace weft::runtime
