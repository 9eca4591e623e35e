// SPDX-License-Identifier: Apache-2.0
#include "tests/support/fake_device.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>

#include "collectives/device/ring_host.h"
#include "common/error.h"

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

FakeDevice::FakeDevice() {
  const char* shared = std::getenv("WEFT_TEST_FAKE_SHARED_GPU");
  sharedGpu_.store(shared != nullptr && std::string(shared) == "1");
  previous_ = device::installRuntime(this);
  previousLauncher_ = coll::devring::installLauncher(this);
}

FakeDevice::~FakeDevice() {
  coll::devring::installLauncher(previousLauncher_);
  device::installRuntime(previous_);
  for (auto& [base, a] : device_) {
    munmap(reinterpret_cast<void*>(base), pageRound(a.bytes));
    munmap(a.alias, pageRound(a.bytes));
    if (a.fd >= 0) close(a.fd);
  }
}

// Maps `fd` twice: at an address the host cannot touch (the "device" one) and read-write.
void* FakeDevice::map(int fd, size_t bytes, bool exported) {
  const size_t size = pageRound(bytes);
  void* dev = mmap(nullptr, size, PROT_NONE, MAP_SHARED, fd, 0);
  void* alias = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (dev == MAP_FAILED || alias == MAP_FAILED) throw std::runtime_error("fake device: mmap");
  std::lock_guard<std::mutex> lock(mu_);
  device_[reinterpret_cast<uintptr_t>(dev)] = Allocation{bytes, static_cast<std::byte*>(alias), exported ? fd : -1};
  return dev;
}

void* FakeDevice::malloc(size_t bytes) {
  const int fd = memfd_create("weft-fake-device", MFD_CLOEXEC);
  if (fd < 0 || ftruncate(fd, off_t(pageRound(bytes))) != 0) throw std::runtime_error("fake device: memfd");
  void* p = map(fd, bytes, true);
  deviceLive_.fetch_add(1);
  return p;
}

void FakeDevice::unmap(void* p, bool imported) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = device_.find(reinterpret_cast<uintptr_t>(p));
  if (it == device_.end() || (it->second.fd < 0) != imported) {
    throw std::runtime_error(imported ? "fake device: closeIpc of a pointer openIpc did not return"
                                      : "fake device: free of an unknown pointer");
  }
  munmap(p, pageRound(it->second.bytes));
  munmap(it->second.alias, pageRound(it->second.bytes));
  if (it->second.fd >= 0) close(it->second.fd);
  device_.erase(it);
}

void FakeDevice::free(void* p) {
  unmap(p, false);
  deviceLive_.fetch_sub(1);
}

void FakeDevice::freeDevice(void* p) noexcept {
  try {
    free(p);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    std::abort();
  }
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

void FakeDevice::waitEvent(device::Stream stream, device::Event event) {
  EventRef e = *static_cast<EventRef*>(event);
  const uint64_t n = e->recorded.load();
  asStream(stream).enqueue([e, n] {
    while (e->reached.load() < n) std::this_thread::sleep_for(std::chrono::microseconds(20));
  });
}

void FakeDevice::copy(void* dst, const void* src, size_t bytes) { std::memcpy(view(dst), view(src), bytes); }

void FakeDevice::zero(void* p, size_t bytes) { std::memset(view(p), 0, bytes); }

// The handle: the exporter's pid, the memfd's number there, and the size.
struct FakeIpc {
  pid_t pid;
  int fd;
  uint64_t bytes;
};
static_assert(sizeof(FakeIpc) <= sizeof(device::Runtime::IpcHandle));

device::Runtime::IpcHandle FakeDevice::exportIpc(void* p) {
  FakeIpc h{};
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = device_.find(reinterpret_cast<uintptr_t>(p));
    if (it == device_.end() || it->second.fd < 0) throw std::runtime_error("fake device: exportIpc of memory not from allocDevice");
    h = FakeIpc{getpid(), it->second.fd, it->second.bytes};
  }
  IpcHandle out{};
  std::memcpy(out.bytes, &h, sizeof h);
  return out;
}

void* FakeDevice::openIpc(const IpcHandle& in) {
  FakeIpc h{};
  std::memcpy(&h, in.bytes, sizeof h);
  // As CUDA: a process cannot open its own memory's handle.
  if (h.pid == getpid()) throw CudaError("fake cudaIpcOpenMemHandle: the handle is this process's own memory");
  const std::string path = "/proc/" + std::to_string(h.pid) + "/fd/" + std::to_string(h.fd);
  const int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) throw CudaError("fake cudaIpcOpenMemHandle: cannot open " + path);
  void* p = nullptr;
  try {
    p = map(fd, h.bytes, false);
  } catch (...) {
    close(fd);
    throw;
  }
  close(fd);
  ipcOpenLive_.fetch_add(1);
  return p;
}

void FakeDevice::closeIpc(void* p) noexcept {
  try {
    unmap(p, true);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    std::abort();
  }
  ipcOpenLive_.fetch_sub(1);
}

bool FakeDevice::capturing(device::Stream stream) { return asStream(stream).capturing(); }

namespace {
thread_local int tDevice = 0;
}  // namespace

int FakeDevice::currentDevice() { return tDevice; }
void FakeDevice::useDevice(int device) { tDevice = device; }

device::Runtime::Identity FakeDevice::identify(int device) {
  static std::atomic<uint32_t> threads{0};
  thread_local const uint32_t thread = threads.fetch_add(1) + 1;
  Identity id{};
  std::memcpy(id.uuid, "fake", 4);
  if (!sharedGpu_.load()) {
    const uint32_t pid = uint32_t(getpid());
    std::memcpy(id.uuid + 4, &pid, 4);
    std::memcpy(id.uuid + 8, &thread, 4);
  }
  id.uuid[15] = static_cast<unsigned char>(device);
  return id;
}

// A "kernel": the schedule on the stream's thread, through the host's views of device memory.
void FakeDevice::launch(const coll::devring::RingJob& job, void* stream) {
  coll::devring::RingJob j = job;
  j.send = view(job.send);
  j.recv = view(job.recv);
  j.table = reinterpret_cast<const coll::devring::LinkTable*>(view(job.table));
  ringLaunches_.fetch_add(1);
  asStream(stream).enqueue([this, j] {
    coll::devring::runOnHost(j, [this](const void* p) { return reinterpret_cast<unsigned char*>(view(p)); });
  });
}

void FakeDevice::waitAtLeast(device::Stream stream, const std::atomic<uint64_t>* counter, uint64_t value) {
  asStream(stream).enqueue([counter, value] {
    while (counter->load(std::memory_order_acquire) < value) std::this_thread::sleep_for(std::chrono::microseconds(20));
  });
}

void fillOnStream(FakeDevice& dev, FakeStream& s, void* p, size_t n, int32_t v) {
  s.enqueue([&dev, p, n, v] {
    auto* q = reinterpret_cast<int32_t*>(dev.view(p));
    for (size_t i = 0; i < n; ++i) q[i] = v;
  });
}

std::vector<int32_t> readOnStream(FakeDevice& dev, FakeStream& s, const void* p, size_t n) {
  std::vector<int32_t> out(n);
  s.enqueue([&dev, &out, p, n] { std::memcpy(out.data(), dev.view(p), n * 4); });
  s.synchronize();
  return out;
}

}  // namespace weft::test
