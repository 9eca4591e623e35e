// SPDX-License-Identifier: Apache-2.0
// One communicator's device ring (Note [Device ring] in collectives/device/ring_program.h; Note
// [Device link] in runtime/device_link.cc): its workspace, the peers' workspaces it opened, and
// the launches on the callers' streams.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "collectives/algorithm.h"
#include "collectives/device/port_totals.h"
#include "collectives/device/ring_job.h"
#include "common/error.h"
#include "runtime/work.h"
#include "transport/cuda/device.h"

namespace weft::runtime {

class DeviceLink {
 public:
  // What each rank tells the others at set-up (a fixed-size record, gathered as bytes).
  struct Card {
    uint64_t pid;
    uint64_t process;  // random, once per process: a pid alone may repeat across PID namespaces
    int32_t device;
    uint32_t channels, slots;
    uint32_t shape;    // 0: auto, else 1 + coll::devring::Shape
    uint64_t slotBytes;
    uint64_t workspace;  // its address in the owner's process
    device::Runtime::IpcHandle handle;
  };

  // Ends the communicator's calls: a call stopped by WEFT_TIMEOUT fails it with this (the
  // communicator's recordFailure).
  using OnFailure = std::function<void(ErrorCode, const std::string&)>;
  // On the caller's thread, with its device current: allocates and clears the workspace.
  // `timeoutSeconds`: how long a call may take once its stream reached it, and how long a stream
  // may take to reach it (0: forever); also how long destroy waits for the last call.
  // `shape`: the ring, the tree, or (nullopt) the tree for small calls of more than 2 ranks.
  // `checkCalls`: compare each slot's signature with the call's (WEFT_CHECK).
  DeviceLink(device::Runtime& rt, int rank, int size, coll::devring::Geometry geo,
             std::optional<coll::devring::Shape> shape, double timeoutSeconds, bool checkCalls, OnFailure onFailure);
  // Waits (up to the timeout) for the last call's kernel, stops it if it still runs, then closes
  // the peers' workspaces and frees this rank's, unless other processes opened it (then it stays
  // until the process exits: Note [Device link]).
  ~DeviceLink();
  DeviceLink(const DeviceLink&) = delete;
  DeviceLink& operator=(const DeviceLink&) = delete;

  Card card();
  int device() const { return device_; }
  // On the progress thread, with every rank's card: maps the peers' workspaces (plain pointers in
  // this process, CUDA IPC from another). Throws where one cannot be reached. Then ready() or
  // fail() lets the streams go on: every rank calls the same one (the ranks agree first).
  void connect(const std::vector<Card>& cards);
  void ready();
  void fail(ErrorCode code, const std::string& why) noexcept;  // also stops the ring (abort)
  // Stops running kernels (weftCommAbort, a failed communicator): their waits give up, outputs
  // undefined; calls in flight and later ones fail with `why`.
  void abort(ErrorCode code, const std::string& why) noexcept;

  // Enqueues an all-reduce or broadcast on `stream`, after the set-up and after this link's last
  // call (also when that was on another stream). `work` completes once the kernel is done, with
  // an error if it was stopped (abort, or the timeout: see the constructor).
  void launch(const coll::CollArgs& args, device::Stream stream, std::shared_ptr<Work> work);
  // An empty call, which launches nothing but takes its number, as on the host (Note
  // [Signatures]): a rank's empty call against another's non-empty one is then caught.
  void skip();

 private:
  void release() noexcept;  // lets the streams waiting for the set-up go on
  // A call in flight, watched by watchLoop: `start` is recorded just before its kernel.
  struct Flight {
    device::Event start = nullptr, done = nullptr;
    std::shared_ptr<Work> work;
    coll::CollArgs args;  // described only if it fails: no string per call
  };
  void watchLoop();
  void land(Flight& f, std::exception_ptr error);
  // Under mu_: a kernel's report of a slot of another call, as the error that fails the
  // communicator; "" when there is none.
  std::string mismatchReported() const;
  device::Event takeEvent();  // under mu_: a spare one, else a new one

  device::Runtime& rt_;
  const int rank_, size_;
  const coll::devring::Geometry geo_;
  const std::optional<coll::devring::Shape> shape_;
  const double timeoutSeconds_;
  const bool checkCalls_;
  const OnFailure onFailure_;
  int device_ = 0;
  size_t wsBytes_ = 0;
  unsigned char* ws_ = nullptr;                 // this rank's workspace (device)
  coll::devring::LinkTable* table_ = nullptr;   // device
  // A pinned page: the set-up counter (streams wait until it is 1) and the abort word.
  std::atomic<uint64_t>* setUp_ = nullptr;
  std::atomic<uint32_t>* abort_ = nullptr;
  volatile uint32_t* abortView_ = nullptr;  // the device's address of abort_
  coll::devring::MismatchReport* reports_ = nullptr;  // on the same page, one per channel
  coll::devring::MismatchReport* reportsView_ = nullptr;
  std::vector<void*> opened_;  // peers' workspaces from openIpc
  bool exported_ = false;  // other processes opened this rank's workspace: kept until exit
  std::vector<void*> borrowed_;  // thread ranks' workspaces (retained: see Note [Device link])
  std::atomic<bool> settled_{false};  // release() ran: launches need not wait for the set-up

  std::mutex mu_;  // launches
  coll::devring::PortTotals totals_;                 // guarded by mu_
  uint32_t calls_ = 0;                               // guarded by mu_: the ring's calls so far
  device::Stream lastStream_ = nullptr;              // guarded by mu_
  device::Event lastDone_ = nullptr;                 // recorded after every launch
  std::deque<Flight> flights_;                       // guarded by mu_, oldest first
  std::vector<device::Event> spare_;                 // guarded by mu_: done, free for reuse
  std::string stopped_;                              // guarded by mu_: why, once aborted
  ErrorCode stoppedCode_ = ErrorCode::Success;       // guarded by mu_
  bool closing_ = false;                             // guarded by mu_
  std::condition_variable cv_;
  std::thread watchdog_;  // started by the first launch
};

}  // namespace weft::runtime
