// SPDX-License-Identifier: Apache-2.0
#include "tests/support/fake_device.h"

#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>

namespace weft::test {
namespace {

struct FakeEvent {
  std::atomic<uint64_t> recorded{0};
  std::atomic<uint64_t> reached{0};
};

FakeStream& asStream(device::Stream s) { return *static_cast<FakeStream*>(s); }

size_t pageRound(size_t n) {
  const size_t page = size_t(sysconf(_SC_PAGESIZE));
  return (n == 0 ? 1 : n + page - 1) / page * page;
}

}  // namespace

FakeStream::FakeStream() : thread_([this] { loop(); }) {}

FakeStream::~FakeStream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void FakeStream::enqueue(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    tasks_.push_back(std::move(task));
  }
  cv_.notify_all();
}

void FakeStream::synchronize() {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait(lock, [&] { return tasks_.empty() && !running_; });
}

// Each task may start up to 100 us late: a call that reads its input before the stream wrote it,
// or lets the stream read its output early, is caught more often than with a prompt stream.
void FakeStream::loop() {
  std::minstd_rand rng(std::random_device{}());
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || !tasks_.empty(); });
    if (tasks_.empty()) return;
    auto task = std::move(tasks_.front());
    tasks_.pop_front();
    running_ = true;
    lock.unlock();
    if (rng() % 4 == 0) std::this_thread::sleep_for(std::chrono::microseconds(rng() % 100));
    task();
    lock.lock();
    running_ = false;
    cv_.notify_all();
  }
}

FakeDevice::FakeDevice() { previous_ = device::installRuntime(this); }

FakeDevice::~FakeDevice() {
  device::installRuntime(previous_);
  for (auto& [base, a] : device_) {
    munmap(reinterpret_cast<void*>(base), pageRound(a.bytes));
    munmap(a.alias, pageRound(a.bytes));
  }
}

void* FakeDevice::malloc(size_t bytes) {
  const size_t size = pageRound(bytes);
  const int fd = memfd_create("weft-fake-device", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, off_t(size)) != 0) throw std::runtime_error("fake device: memfd");
  void* dev = mmap(nullptr, size, PROT_NONE, MAP_SHARED, fd, 0);
  void* alias = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  close(fd);
  if (dev == MAP_FAILED || alias == MAP_FAILED) throw std::runtime_error("fake device: mmap");
  std::lock_guard<std::mutex> lock(mu_);
  device_[reinterpret_cast<uintptr_t>(dev)] = Allocation{bytes, static_cast<std::byte*>(alias)};
  return dev;
}

void FakeDevice::free(void* p) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = device_.find(reinterpret_cast<uintptr_t>(p));
  if (it == device_.end()) throw std::runtime_error("fake device: free of an unknown pointer");
  munmap(p, pageRound(it->second.bytes));
  munmap(it->second.alias, pageRound(it->second.bytes));
  device_.erase(it);
}

std::byte* FakeDevice::view(const void* p) {
  const auto a = reinterpret_cast<uintptr_t>(p);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = device_.upper_bound(a);
  if (it != device_.begin()) {
    --it;
    if (a < it->first + pageRound(it->second.bytes)) return it->second.alias + (a - it->first);
  }
  return static_cast<std::byte*>(const_cast<void*>(p));
}

device::Memory FakeDevice::memoryOf(const void* p) {
  return view(p) != p ? device::Memory::Device : device::Memory::Host;
}

void FakeDevice::pin(void* p, size_t bytes) {
  // As cudaHostRegister: page-aligned memory, all of it there (the pages are touched, as
  // page-locking faults them in).
  if (reinterpret_cast<uintptr_t>(p) % size_t(sysconf(_SC_PAGESIZE)) != 0) throw std::invalid_argument("fake device: pin of an unaligned range");
  volatile const std::byte* b = static_cast<const std::byte*>(p);
  for (size_t i = 0; i < bytes; i += 4096) (void)b[i];
  pinnedLive_.fetch_add(1);
}

void FakeDevice::unpin(void*) noexcept { pinnedLive_.fetch_sub(1); }

void FakeDevice::copyAsync(void* dst, const void* src, size_t bytes, device::Stream stream) {
  asStream(stream).enqueue([this, dst, src, bytes] { std::memcpy(view(dst), view(src), bytes); });
}

// An event handle owns a reference to the event; a record still pending on a stream holds
// another, so that an event destroyed before its stream reaches the record stays valid until
// then (cudaEventDestroy's behaviour).
using EventRef = std::shared_ptr<FakeEvent>;

device::Event FakeDevice::createEvent() { return new EventRef(std::make_shared<FakeEvent>()); }

void FakeDevice::destroyEvent(device::Event event) noexcept { delete static_cast<EventRef*>(event); }

void FakeDevice::record(device::Event event, device::Stream stream) {
  EventRef e = *static_cast<EventRef*>(event);
  const uint64_t n = e->recorded.fetch_add(1) + 1;
  asStream(stream).enqueue([e, n] { e->reached.store(n); });
}

bool FakeDevice::done(device::Event event) {
  const EventRef& e = *static_cast<EventRef*>(event);
  return e->reached.load() >= e->recorded.load();
}

void FakeDevice::waitAtLeast(device::Stream stream, const std::atomic<uint64_t>* counter, uint64_t value) {
  asStream(stream).enqueue([counter, value] {
    while (counter->load(std::memory_order_acquire) < value) std::this_thread::sleep_for(std::chrono::microseconds(20));
  });
}

}  // namespace weft::test
