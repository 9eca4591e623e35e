// SPDX-License-Identifier: Apache-2.0
// The few things weft asks of a GPU runtime: where a buffer lies, pinned host memory, stream-
// ordered copies, events, and a stream waiting for a host counter (Note [Device runtime]).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>

namespace weft::device {

// A cudaStream_t. Weft's NULL stream means "host buffers" and never reaches a Runtime;
// cudaStreamLegacy and cudaStreamPerThread (small non-NULL handles) name the default streams.
using Stream = void*;
// A cudaEvent_t (or the test runtime's own).
using Event = void*;

enum class Memory { Host, Device };

// Note [Device runtime]: weft reaches CUDA only through this interface. The build with CUDA
// installs one over the CUDA runtime (transport/cuda/cuda_runtime.cc: cudart, never libcuda); a
// build without it has none, and a stream then is refused. Tests install their own
// (tests/support/fake_device.h: "device memory" that the host cannot read, streams run by host
// threads), so that every collective's stream-ordered path runs, and is checked, on machines
// without a GPU. All methods may be called from any thread; errors throw CudaError.
class Runtime {
 public:
  virtual ~Runtime() = default;
  virtual std::string name() const = 0;
  // Whether a device can be used now (false: no GPU or no driver); the rest is called only if so.
  virtual bool usable() = 0;
  // Where `p` lies: Device for device and managed memory, Host for any other pointer (pinned or
  // not). Throws InvalidArgument for a pointer the runtime rejects.
  virtual Memory memoryOf(const void* p) = 0;
  // The calling thread's current device, and making `device` current: the progress thread takes
  // the caller's before it asks about the caller's events (a thread that touches CUDA without
  // one would make device 0's context).
  virtual int currentDevice() = 0;
  virtual void useDevice(int device) = 0;
  // Page-locks [p, p + bytes), page-aligned host memory the caller owns, so that copies to and
  // from the device run at full speed from it and kernels can read it (mapped); unpin() undoes
  // it, before the memory is freed.
  virtual void pin(void* p, size_t bytes) = 0;
  virtual void unpin(void* p) noexcept = 0;
  // Enqueues a copy of `bytes` (either direction, or device to device) on `stream`.
  virtual void copyAsync(void* dst, const void* src, size_t bytes, Stream stream) = 0;
  virtual Event createEvent() = 0;
  virtual void destroyEvent(Event event) noexcept = 0;
  // Marks the point `stream` has reached: done(event) turns true once work before it finished.
  virtual void record(Event event, Stream stream) = 0;
  virtual bool done(Event event) = 0;
  // Makes work enqueued on `stream` after this wait until *counter >= value. `counter` is in
  // pinned memory; the host raises it with release stores.
  virtual void waitAtLeast(Stream stream, const std::atomic<uint64_t>* counter, uint64_t value) = 0;
  // Makes work enqueued on `stream` after this wait for the work before `event`'s last record.
  virtual void waitEvent(Stream stream, Event event) = 0;

  // For the device ring (Note [Device ring]). Device memory on the current device, and copies
  // and fills that return once done.
  virtual void* allocDevice(size_t bytes) = 0;
  virtual void freeDevice(void* p) noexcept = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  virtual void zero(void* p, size_t bytes) = 0;
  // The device's address of pinned host memory (pin()ned or from the runtime).
  virtual void* deviceView(void* host) = 0;
  // Lets the current device load and store memory of `device`, in this process (peer access):
  // false where it cannot (true for the current device itself).
  virtual bool reachPeer(int device) = 0;
  // Device memory from allocDevice, opened by another process of this host (CUDA IPC):
  // exportIpc's handle travels there, openIpc maps it, closeIpc unmaps it (before the exporter
  // frees it, as far as the owner knows).
  struct IpcHandle {
    unsigned char bytes[64];
  };
  virtual IpcHandle exportIpc(void* p) = 0;
  virtual void* openIpc(const IpcHandle& h) = 0;
  virtual void closeIpc(void* p) noexcept = 0;
  // Which GPU `device` is, the same in every process (its UUID).
  struct Identity {
    unsigned char uuid[16];
  };
  virtual Identity identify(int device) = 0;
  // Whether the calling thread already has a CUDA context current, asked without starting CUDA
  // where the process has not (start-up cost, and CUDA does not survive fork()).
  virtual bool active() = 0;
  // Whether `stream` is being captured into a CUDA graph (cudaStreamIsCapturing).
  virtual bool capturing(Stream stream) = 0;
};

// A zeroed, pinned host page (4096 bytes) for counters the device reads (a stream's wait, an
// abort word); freePinnedPage undoes it. Throws what pin() throws, or std::bad_alloc.
void* allocPinnedPage(Runtime& rt);
void freePinnedPage(Runtime& rt, void* page) noexcept;

// The process's runtime: the installed one, else CUDA's where built, else nullptr.
Runtime* runtime();
// For tests: replaces the runtime (nullptr restores the built-in one); returns the previous.
// Not thread-safe with calls in flight.
Runtime* installRuntime(Runtime* r);

}  // namespace weft::device
