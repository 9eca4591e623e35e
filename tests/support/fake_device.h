// SPDX-License-Identifier: Apache-2.0
// A device runtime for tests on machines without a GPU (Note [Device runtime]): "device memory"
// at addresses the host cannot touch (a stray host access faults), streams run in order by host
// threads with random small delays, events and the stream wait as CUDA's behave.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include "collectives/device/launch.h"
#include "transport/cuda/device.h"

namespace weft::test {

// A stream: tasks run one after another on a thread of its own. Its address is its handle.
class FakeStream {
 public:
  FakeStream();
  ~FakeStream();  // runs what is enqueued, then stops
  FakeStream(const FakeStream&) = delete;
  FakeStream& operator=(const FakeStream&) = delete;
  device::Stream handle() { return this; }
  // A "kernel" or copy, run after everything enqueued before it.
  void enqueue(std::function<void()> task);
  // Waits until every task enqueued so far ran (cudaStreamSynchronize).
  void synchronize();
  // As if cudaStreamBeginCapture (on) or cudaStreamEndCapture (off) had been called.
  void capture(bool on) { capturing_.store(on); }
  bool capturing() const { return capturing_.load(); }

 private:
  void loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;  // guarded by mu_
  bool running_ = false;                     // guarded by mu_
  bool stop_ = false;                        // guarded by mu_
  std::atomic<bool> capturing_{false};
  std::thread thread_;
};

// Installed as the process's device runtime, and its device-ring launcher, while it lives. The
// ring's kernels run as host code on the streams' threads (coll::devring::runOnHost), and CUDA IPC
// maps a peer process's "device memory" through its memfd (/proc/<pid>/fd/<fd>).
class FakeDevice final : public device::Runtime, public coll::devring::Launcher {
 public:
  FakeDevice();
  ~FakeDevice() override;

  // Device memory (cudaMalloc): the address returned faults on any host access.
  void* malloc(size_t bytes);
  void free(void* p);
  // Where a stream's task reads and writes device memory at `p` (p itself for host memory).
  std::byte* view(const void* p);
  // Ranges pinned and not unpinned; device memory allocated and not freed (malloc or
  // allocDevice); peers' memory opened and not closed (openIpc); device ring calls launched.
  long pinnedLive() const { return pinnedLive_.load(); }
  long deviceLive() const { return deviceLive_.load(); }
  long ipcOpenLive() const { return ipcOpenLive_.load(); }
  long ringLaunches() const { return ringLaunches_.load(); }

  std::string name() const override { return "fake"; }
  bool usable() override { return true; }
  device::Memory memoryOf(const void* p) override;
  // Each thread's current device, 0 until it sets one (all devices are one memory here).
  int currentDevice() override;
  void useDevice(int device) override;
  void pin(void* p, size_t bytes) override;
  void unpin(void* p) noexcept override;
  void copyAsync(void* dst, const void* src, size_t bytes, device::Stream stream) override;
  device::Event createEvent() override;
  void destroyEvent(device::Event event) noexcept override;
  void record(device::Event event, device::Stream stream) override;
  bool done(device::Event event) override;
  void waitAtLeast(device::Stream stream, const std::atomic<uint64_t>* counter, uint64_t value) override;
  void waitEvent(device::Stream stream, device::Event event) override;
  void* allocDevice(size_t bytes) override { return malloc(bytes); }
  void freeDevice(void* p) noexcept override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void zero(void* p, size_t bytes) override;
  void* deviceView(void* host) override { return host; }
  bool reachPeer(int) override { return reachPeers_.load(); }
  // Tests: peer access refused from now on (a device ring's set-up then fails).
  void refusePeers() { reachPeers_.store(false); }
  IpcHandle exportIpc(void* p) override;
  void* openIpc(const IpcHandle& h) override;
  void closeIpc(void* p) noexcept override;
  void launch(const coll::devring::RingJob& job, void* stream) override;
  // A GPU of its own for every thread that asks (weft asks at init, which runs each thread
  // rank on a thread of its own) in every process, as NCCL places ranks; one GPU for them all
  // when WEFT_TEST_FAKE_SHARED_GPU=1 (read at construction) or after shareOneGpu().
  Identity identify(int device) override;
  void shareOneGpu() { sharedGpu_.store(true); }
  bool capturing(device::Stream stream) override;
  bool active() override { return true; }

 private:
  struct Allocation {
    size_t bytes;
    std::byte* alias;  // the host's read-write mapping of the same pages
    int fd;            // the memfd (kept open for exportIpc), -1 for an opened peer's
  };
  void* map(int fd, size_t bytes, bool exported);
  void unmap(void* p, bool imported);
  std::mutex mu_;
  std::map<uintptr_t, Allocation> device_;  // guarded by mu_: by device address
  std::atomic<long> pinnedLive_{0};
  std::atomic<long> deviceLive_{0};
  std::atomic<long> ipcOpenLive_{0};
  std::atomic<long> ringLaunches_{0};
  std::atomic<bool> reachPeers_{true};
  std::atomic<bool> sharedGpu_{false};
  device::Runtime* previous_ = nullptr;
  coll::devring::Launcher* previousLauncher_ = nullptr;
};

// On `s`, as kernels would: fills n int32 of device memory at p with v; reads them back (and so
// waits for everything enqueued on s before).
void fillOnStream(FakeDevice& dev, FakeStream& s, void* p, size_t n, int32_t v);
std::vector<int32_t> readOnStream(FakeDevice& dev, FakeStream& s, const void* p, size_t n);

}  // namespace weft::test
