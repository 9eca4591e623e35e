// SPDX-License-Identifier: Apache-2.0
// A communicator: this rank's place in a group of ranks, its links to the others, and the
// collectives it runs over them.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "collectives/algorithm.h"
#include "collectives/operation.h"
#include "collectives/registry.h"
#include "collectives/staging.h"
#include "collectives/tuner/tuner.h"
#include "common/error.h"
#include "runtime/choosing.h"
#include "runtime/config.h"
#include "runtime/device_calls.h"
#include "runtime/device_link.h"
#include "runtime/flight_recorder.h"
#include "runtime/store/store.h"
#include "runtime/transport_choice.h"
#include "runtime/work.h"
#include "transport/transport.h"

namespace weft::runtime {

struct Links;  // runtime/bootstrap.h

// Refuses a second thread into a communicator's calls (InvalidUsage) while it lives.
class BusyGuard {
 public:
  explicit BusyGuard(std::atomic<bool>& busy) : busy_(busy) {
    if (busy_.exchange(true, std::memory_order_seq_cst)) {  // seq_cst: Note [Abort]
      throw InvalidUsage("another thread is running a call on this communicator; a communicator is "
                         "driven by one thread at a time");
    }
  }
  ~BusyGuard() { busy_.store(false, std::memory_order_release); }
  BusyGuard(const BusyGuard&) = delete;
  BusyGuard& operator=(const BusyGuard&) = delete;

 private:
  std::atomic<bool>& busy_;
};

// Thread-compatible, as an NCCL communicator: one thread at a time calls its collectives (a
// concurrent second caller gets InvalidUsage). Asynchronous collectives run on the
// communicator's progress thread, in submission order. Different communicators are independent.
class Communicator {
 public:
  // Collective over `size` callers sharing `store` (already scoped to this communicator): links
  // every pair of ranks. `keepAlive` (e.g. the store server hosted by this rank) is destroyed
  // with the communicator. Throws Timeout naming ranks that never arrived.
  static std::unique_ptr<Communicator> create(std::shared_ptr<store::Store> store, int rank, int size,
                                              const Config& config,
                                              std::shared_ptr<void> keepAlive = nullptr);
  ~Communicator();

  // Collective over this communicator (MPI_Comm_split, ncclCommSplit): ranks passing the same
  // non-negative color form a new communicator, ranked by (key, rank here); a negative color
  // takes part and gets nullptr. Links are set up through this communicator, no store needed.
  std::unique_ptr<Communicator> split(int color, int key);

  // The peers whose process is known to have exited (Transport::peerAlive false), in order.
  std::vector<int> failedRanks();

  // Collective over the ranks not in `excluded` (ncclCommShrink, MPI_Comm_shrink): a new
  // communicator of them, ranked in their order here; excluded ranks do not call it. Works
  // after a failure too (Note [Shrink] in runtime/shrink.cc). `abortFirst` ends the calls still
  // running or queued here first (abort() without freeing); otherwise it waits for them. This
  // communicator stays to be destroyed (after abortFirst it refuses calls).
  std::unique_ptr<Communicator> shrink(std::span<const int> excluded, bool abortFirst);

  int rank() const { return rank_; }
  int size() const { return size_; }
  const Config& config() const { return config_; }

  // Runs one collective to completion (arguments validated by the C API): on the calling thread,
  // or, once asynchronous work exists, on the progress thread after it. Throws Timeout or
  // RemoteError, after which the communicator refuses further calls (InvalidUsage).
  void run(const coll::CollArgs& args);

  // Waits until a call may start (a call on a stream: until the stream reached it), before it is
  // prepared (an algorithm's start may read the input). Throws, Timeout above all, to fail it.
  // It gives up (InvalidUsage) once `aborted` is set (Note [Abort]).
  using Ready = std::function<void(const Deadline&, const std::atomic<bool>& aborted)>;
  // Runs `ready` within WEFT_TIMEOUT; returns what it threw, if anything.
  std::exception_ptr waitReady(const Ready& ready) const;

  // Queues a collective for the progress thread (started on first use); collectives complete in
  // submission order. Buffers must stay valid until the Work completes. `ready`, if given, runs
  // on the progress thread before the collective starts; `work`, if given, is the Work to
  // complete (else a new one).
  std::shared_ptr<Work> submit(const coll::CollArgs& args, Ready ready = {}, std::shared_ptr<Work> work = nullptr);

  // Note [Stream-ordered calls] (runtime/device_calls.cc): enqueues on `stream` (a cudaStream_t)
  // the copies of a call on device buffers to pinned host memory, and returns the host calls to
  // run: one, or the pieces of a large one (Note [Stream pieces], runtime/stream_calls.cc). Each
  // comes with what must run before it, `out` (the stream's wait for it and copies back: call
  // every piece's, in order, before running any) and its Work, whose completion lets the stream
  // go on; the caller must complete every piece's Work, through submit(host, ready, work) or a
  // group. `whole` completes with the last piece, with the first error. `landing`: it completes
  // only once the results are in the device buffers (for a request). Throws InvalidArgument
  // where no GPU runtime is usable or a buffer is not device memory.
  struct StreamCall {
    coll::CollArgs host;
    Ready ready;
    std::function<void()> out;
    std::shared_ptr<Work> work;
  };
  struct StreamCalls {
    std::vector<StreamCall> pieces;
    std::shared_ptr<Work> whole;
  };
  StreamCalls stageOnStream(const coll::CollArgs& args, void* stream, bool landing);
  // Note [Device link] (runtime/device_link.cc): an all-reduce or broadcast on device buffers
  // that the device ring runs: launched on `stream` now; returns its Work, which completes once
  // the kernel is done. nullptr: the call is not the ring's (stage it). Throws as stageOnStream
  // for calls it takes.
  std::shared_ptr<Work> launchOnDevice(const coll::CollArgs& args, void* stream);
  // Refuses (InvalidArgument) a call with a NULL stream whose buffers are device memory, once
  // this process has made calls on streams (before, nothing here has touched the GPU runtime).
  void checkHostBuffers(const coll::CollArgs& args) const;
  // Throws InvalidUsage, with the first failure, once the communicator has failed.
  void refuseIfFailed() const;

  // A collective prepared to be advanced by the caller (groups drive several at once).
  struct Pending {
    coll::CollArgs args;
    coll::Context ctx;
    std::unique_ptr<coll::Operation> op;  // null for an empty call: nothing to do
    std::shared_ptr<Work> work;
    size_t flight = FlightRecorder::kNone;  // its slot in the flight recorder
    Ready ready;  // queued calls only: see submit()
    // A queued job instead of a call (submitJob): run, or dropped with an error.
    std::function<void()> job;
    std::function<void(std::exception_ptr)> drop;
    // Ends a queued call or job that will never run.
    void fail(std::exception_ptr e) {
      if (job) drop(e);
      else work->complete(e);
    }
  };
  // Queues `job` for the progress thread, in order with the calls queued before and after it (a
  // group of calls on streams, Note [Groups]); `drop` ends it instead if it never runs. The job
  // prepares its calls with prepareInOrder and reports their errors through their Works.
  void submitJob(std::function<void()> job, std::function<void(std::exception_ptr)> drop);
  // prepare() for a job on the progress thread, where the calls are in order already.
  std::unique_ptr<Pending> prepareInOrder(const coll::CollArgs& args) { return prepareNow(args); }

  // Waits until the progress thread has nothing queued or running, then prepares `args`
  // (numbering it, choosing the algorithm, starting its deadline).
  std::unique_ptr<Pending> prepare(const coll::CollArgs& args);
  // Records how a prepared collective ended (a Timeout or RemoteError fails the communicator)
  // and completes its Work, if it has one.
  void finish(Pending& p, std::exception_ptr error);

  // Note [Abort]: callable from any thread, also while another thread runs a call here. Marks
  // the communicator aborted and failed, ends the nonblocking calls still queued with that error,
  // and returns once no thread runs a call on it any more: a call waiting for peers gives up at
  // its next look (within WaitPolicy::sleepCapMs) with InvalidUsage, and a call between two
  // looks finishes its step first. The caller then destroys the communicator. Peers are not
  // told: their calls with this rank end by their own timeout or when this process exits.
  void abort();
  // The error that failed the communicator, ErrorCode::Success while none has.
  ErrorCode asyncError() const;
  // Counts the calling thread as running calls on the communicator while it lives, for abort():
  // the progress thread, split and shrink hold one, and so does a group driver for each
  // communicator (run() is seen through its BusyGuard instead, Note [Abort]).
  class Inside {
   public:
    explicit Inside(Communicator& c) : c_(c) { c_.inside_.fetch_add(1, std::memory_order_acq_rel); }
    ~Inside() { c_.inside_.fetch_sub(1, std::memory_order_acq_rel); }
    Inside(const Inside&) = delete;
    Inside& operator=(const Inside&) = delete;
    const Communicator& communicator() const { return c_; }

   private:
    Communicator& c_;
  };

 private:
  Communicator(int rank, int size, const Config& config) : rank_(rank), size_(size), config_(config) {}
  static std::unique_ptr<Communicator> assemble(int rank, int size, const Config& config,
                                                Choosing choosing, Links links);
  const int rank_;
  const int size_;
  const Config config_;
  std::shared_ptr<void> keepAlive_;  // destroyed last
  std::unique_ptr<transport::Transport> transport_;
  std::vector<std::unique_ptr<transport::Endpoint>> links_;  // by peer; endpoints die first
  Placement where_;  // every rank's host identity and network
  size_t chunkBytes_ = 0;           // coll::Context::chunkBytes
  bool peerReads_ = false;          // coll::Context::peerReads
  coll::Staging staging_;           // coll::Context::staging, loop-bound as lastChoice_
  std::vector<transport::Endpoint*> linkPtrs_;  // links_, as coll::Context takes them
  std::vector<int> hostOf_;                     // coll::Context::hostOf
  int hostCount_ = 1;                           // coll::Context::hostCount
  bool deviceRing_ = false;  // WEFT_CUDA_LINK and the ranks' GPUs allow the device ring (Note [Device link])
  int ranksPerHost_ = 0;                        // coll::Context::ranksPerHost
  Choosing choosing_;  // WEFT_ALGO and the tuning table, read at init
  coll::Tuner tuner_;  // the table for this communicator's size and transport
  // The last choice per collective and its size in bytes: supports() depends only on the
  // communicator, and the tuner and WEFT_ALGO only on (collective, bytes). Loop-bound: written by
  // whichever single thread prepares calls (the caller, or the progress thread once started).
  struct LastChoice {
    size_t bytes = SIZE_MAX;
    coll::Selection chosen{nullptr, coll::Selection::Why::Default};
  };
  std::array<LastChoice, coll::kCollKinds> lastChoice_{};
  FlightRecorder flight_{config_.flightRecorder};  // loop-bound, as lastChoice_
  // Numbers for call signatures (Note [Signatures]), loop-bound as lastChoice_: collectives so
  // far, and point-to-point messages so far to and from each peer.
  uint32_t collectives_ = 0;
  uint32_t shrinks_ = 0;  // numbers each shrink's markers
  std::vector<uint32_t> sentTo_, receivedFrom_;
  std::atomic<bool> busy_{false};

  std::unique_ptr<Pending> prepareNow(const coll::CollArgs& args);
  // Runs a host call to its end on the progress thread (a job's), failing the communicator as
  // any call does; rethrows its error.
  void runHere(const coll::CollArgs& args);
  // The checks every call on a stream passes; returns the runtime to use.
  device::Runtime& streamRuntime(const coll::CollArgs& args, void* stream);
  void setUpDeviceLink();  // the progress thread's job (Note [Device link])
  // Marks the communicator failed with `what`, unless it already has; stops device ring kernels.
  void recordFailure(ErrorCode code, const std::string& what);
  void prepareInto(Pending& p, const coll::CollArgs& args);
  uint32_t nextNumber(const coll::CollArgs& args);  // the call's number for its signature
  void logChoice(const coll::CollArgs& args, const coll::Context& ctx, const coll::Selection& s) const;
  void execute(Pending& p);
  void enqueue(std::unique_ptr<Pending> p);  // for the progress thread (started on first use)
  void progressLoop();
  // Note [Failure notices] (collectives/signature.h): tells every reachable peer, once, that this
  // communicator failed because of `culprit` (-1: unknown). On the thread that drives the links.
  void sendFailureNotices(ErrorCode code, int culprit, const std::string& what);
  // Lock order: mu_ is a leaf (never held while a collective runs).
  mutable std::mutex mu_;
  std::condition_variable cv_;
  // The hot path (run, prepareInto) takes no lock: the call number is atomic, and failure_ is
  // read only once failed_ says it was set.
  std::atomic<uint64_t> seq_{0};
  std::atomic<bool> failed_{false};                  // failure_ is set
  std::atomic<bool> aborted_{false};                 // abort() was called (coll::Context::aborted)
  std::atomic<bool> noticed_{false};                 // failure notices were sent
  std::atomic<int> inside_{0};                       // threads holding an Inside
  ErrorCode failureCode_ = ErrorCode::Success;       // guarded by mu_; the code of failure_
  std::atomic<bool> async_{false};                   // progress_ was started
  std::string failure_;                              // guarded by mu_; set by Timeout/RemoteError
  std::deque<std::unique_ptr<Pending>> queue_;       // guarded by mu_
  bool running_ = false;                             // guarded by mu_: the thread runs one now
  bool stopping_ = false;                            // guarded by mu_
  std::thread progress_;                             // started on first submit
  // Staging for calls on streams, made by the first one (Note [Stream-ordered calls]); destroyed
  // after the progress thread, so after every call's Work completed.
  std::unique_ptr<DeviceCalls> device_;
  // The device ring, made by the first call it takes (Note [Device link]); written under mu_
  // (abort() reads it from any thread), destroyed after the progress thread.
  std::unique_ptr<DeviceLink> link_;
};

}  // namespace weft::runtime
