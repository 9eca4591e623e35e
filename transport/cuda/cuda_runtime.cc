// SPDX-License-Identifier: Apache-2.0
// The device runtime over the CUDA runtime API (cudart, linked statically; it loads the driver
// when first used, so a machine without one gets usable() == false, not a failed start).
#include <cuda_runtime.h>
#include <dlfcn.h>

#include <cstring>
#include <mutex>

#include "common/error.h"
#include "transport/cuda/device.h"

namespace weft::device {

// transport/cuda/stream_wait.cu
cudaError_t launchWaitAtLeast(cudaStream_t stream, const void* counter, uint64_t value);

namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) {
    cudaGetLastError();  // reset, so that a later cudaGetLastError does not report it again
    throw CudaError(std::string(what) + ": " + cudaGetErrorString(e));
  }
}

cudaStream_t asStream(Stream s) { return static_cast<cudaStream_t>(s); }
cudaEvent_t asEvent(Event e) { return static_cast<cudaEvent_t>(e); }

// A non-blocking stream for one synchronous copy (set-up only: not on any call's path).
struct Private {
  cudaStream_t stream = nullptr;
  Private() { check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreateWithFlags"); }
  ~Private() { cudaStreamDestroy(stream); }
  Private(const Private&) = delete;
  Private& operator=(const Private&) = delete;
};

class CudaRuntime final : public Runtime {
 public:
  std::string name() const override { return "cuda"; }

  bool usable() override {
    std::call_once(probed_, [&] {
      int n = 0;
      const cudaError_t e = cudaGetDeviceCount(&n);
      usable_ = e == cudaSuccess && n > 0;
      if (e != cudaSuccess) cudaGetLastError();
    });
    return usable_;
  }

  Memory memoryOf(const void* p) override {
    cudaPointerAttributes a{};
    const cudaError_t e = cudaPointerGetAttributes(&a, p);
    if (e != cudaSuccess) {
      cudaGetLastError();
      throw InvalidArgument(std::string("cannot tell where buffer ") + std::to_string(uintptr_t(p)) +
                            " lies: " + cudaGetErrorString(e));
    }
    return a.type == cudaMemoryTypeDevice || a.type == cudaMemoryTypeManaged ? Memory::Device : Memory::Host;
  }

  int currentDevice() override {
    int d = 0;
    check(cudaGetDevice(&d), "cudaGetDevice");
    return d;
  }
  void useDevice(int device) override { check(cudaSetDevice(device), "cudaSetDevice"); }

  void pin(void* p, size_t bytes) override {
    check(cudaHostRegister(p, bytes, cudaHostRegisterPortable | cudaHostRegisterMapped), "cudaHostRegister");
  }
  void unpin(void* p) noexcept override { cudaHostUnregister(p); }

  void copyAsync(void* dst, const void* src, size_t bytes, Stream stream) override {
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, asStream(stream)), "cudaMemcpyAsync");
  }

  Event createEvent() override {
    cudaEvent_t e = nullptr;
    check(cudaEventCreateWithFlags(&e, cudaEventDisableTiming), "cudaEventCreate");
    return e;
  }
  void destroyEvent(Event e) noexcept override { cudaEventDestroy(asEvent(e)); }
  void record(Event e, Stream stream) override { check(cudaEventRecord(asEvent(e), asStream(stream)), "cudaEventRecord"); }
  bool done(Event e) override {
    const cudaError_t r = cudaEventQuery(asEvent(e));
    if (r == cudaErrorNotReady) return false;
    check(r, "cudaEventQuery");
    return true;
  }

  void waitAtLeast(Stream stream, const std::atomic<uint64_t>* counter, uint64_t value) override {
    check(launchWaitAtLeast(asStream(stream), counter, value), "stream wait kernel");
  }
  void waitEvent(Stream stream, Event e) override {
    check(cudaStreamWaitEvent(asStream(stream), asEvent(e), 0), "cudaStreamWaitEvent");
  }

  void* allocDevice(size_t bytes) override {
    void* p = nullptr;
    check(cudaMalloc(&p, bytes), "cudaMalloc");
    return p;
  }
  void freeDevice(void* p) noexcept override { cudaFree(p); }
  // On a stream of their own that does not wait for the legacy default stream, never a device-
  // wide synchronization: the callers' streams may hold work that waits for weft's host side.
  void copy(void* dst, const void* src, size_t bytes) override {
    Private s;
    check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDefault, s.stream), "cudaMemcpyAsync");
    check(cudaStreamSynchronize(s.stream), "cudaStreamSynchronize");
  }
  void zero(void* p, size_t bytes) override {
    Private s;
    check(cudaMemsetAsync(p, 0, bytes, s.stream), "cudaMemsetAsync");
    check(cudaStreamSynchronize(s.stream), "cudaStreamSynchronize");
  }
  void* deviceView(void* host) override {
    void* d = nullptr;
    check(cudaHostGetDevicePointer(&d, host, 0), "cudaHostGetDevicePointer");
    return d;
  }
  bool reachPeer(int device) override {
    const int self = currentDevice();
    if (device == self) return true;
    int can = 0;
    check(cudaDeviceCanAccessPeer(&can, self, device), "cudaDeviceCanAccessPeer");
    if (can == 0) return false;
    const cudaError_t e = cudaDeviceEnablePeerAccess(device, 0);
    if (e == cudaErrorPeerAccessAlreadyEnabled) {
      cudaGetLastError();
      return true;
    }
    check(e, "cudaDeviceEnablePeerAccess");
    return true;
  }
  // The driver is asked only if the process loaded it already (RTLD_NOLOAD), and
  // cuCtxGetCurrent does not initialize it.
  bool active() override {
    void* lib = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
    if (lib == nullptr) return false;
    using GetCurrent = int (*)(void**);
    const auto get = reinterpret_cast<GetCurrent>(dlsym(lib, "cuCtxGetCurrent"));
    void* ctx = nullptr;
    const bool on = get != nullptr && get(&ctx) == 0 && ctx != nullptr;
    dlclose(lib);
    return on;
  }
  Identity identify(int device) override {
    Identity id{};
    cudaDeviceProp prop{};
    check(cudaGetDeviceProperties(&prop, device), "cudaGetDeviceProperties");
    static_assert(sizeof id.uuid == sizeof prop.uuid.bytes);
    std::memcpy(id.uuid, prop.uuid.bytes, sizeof id.uuid);
    return id;
  }
  bool capturing(Stream stream) override {
    cudaStreamCaptureStatus status = cudaStreamCaptureStatusNone;
    const cudaError_t e = cudaStreamIsCapturing(static_cast<cudaStream_t>(stream), &status);
    if (e == cudaErrorStreamCaptureImplicit) {  // the legacy stream, while another stream captures
      cudaGetLastError();
      return true;
    }
    check(e, "cudaStreamIsCapturing");
    return status != cudaStreamCaptureStatusNone;
  }
  IpcHandle exportIpc(void* p) override {
    static_assert(sizeof(cudaIpcMemHandle_t) <= sizeof(IpcHandle));
    cudaIpcMemHandle_t h{};
    check(cudaIpcGetMemHandle(&h, p), "cudaIpcGetMemHandle");
    IpcHandle out{};
    std::memcpy(out.bytes, &h, sizeof h);
    return out;
  }
  void* openIpc(const IpcHandle& in) override {
    cudaIpcMemHandle_t h{};
    std::memcpy(&h, in.bytes, sizeof h);
    void* p = nullptr;
    check(cudaIpcOpenMemHandle(&p, h, cudaIpcMemLazyEnablePeerAccess), "cudaIpcOpenMemHandle");
    return p;
  }
  void closeIpc(void* p) noexcept override { cudaIpcCloseMemHandle(p); }

 private:
  std::once_flag probed_;
  bool usable_ = false;
};

}  // namespace

Runtime* cudaRuntime() {
  static CudaRuntime r;
  return &r;
}

}  // namespace weft::device
