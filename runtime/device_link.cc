// SPDX-License-Identifier: Apache-2.0
#include "runtime/device_link.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <random>
#include <new>
#include <string>
#include <thread>

#include "collectives/device/launch.h"
#include "collectives/signature.h"
#include "collectives/kernels/dtype.h"
#include "common/error.h"
#include "common/log.h"
#include "common/deadline.h"

namespace weft::runtime {

// Note [Device link]: how a communicator runs the device ring (Note [Device ring]).
// - Which calls: all-reduce and broadcast on device buffers with a stream, when every rank is on
//   this host and WEFT_CUDA_LINK is not "staged"; every other call on a stream is staged through
//   the host (Note [Stream-ordered calls]). Every rank decides alike from the call and the
//   communicator alone, so the ranks of a call all take the same path.
// - Placement: with WEFT_CUDA_LINK=auto (the default), not where two ranks share a GPU: each rank
//   publishes its current GPU's UUID at init (the GPU NCCL binds a communicator to), and where
//   two are equal every call is staged. Processes on one GPU without MPS get it by turns, a time
//   slice each, so a ring kernel waiting for a peer in another process would wait for a switch
//   at nearly every step; ranks sharing a context (threads) or an MPS server would need all
//   their blocks resident at once and their streams on separate hardware queues, which CUDA
//   does not promise. WEFT_CUDA_LINK=ring takes the ring whatever the placement.
// - Set-up, at the first such call, without blocking the caller: the caller allocates its
//   workspace and queues a job on the progress thread that gathers every rank's card (pid,
//   device, workspace, IPC handle, geometry), maps the peers' workspaces, and agrees with the
//   others (an all-reduce of a status) before it writes the table the kernels read and raises the
//   set-up counter. Until it has, each launch first makes its stream wait for that counter, so
//   the first calls return at once, as every call on a stream does; when the set-up failed (a
//   peer that cannot be reached, geometries that differ), the table says so, the kernels return
//   at once, and the communicator has failed with the reason (weftCommGetAsyncError).
// - Order: a communicator's ring calls follow each other in the order they were made, also
//   across streams (the next launch waits for the last one's event, as NCCL orders a
//   communicator's calls); the counters carry on from call to call (PortTotals).
// - Teardown: destroy waits (within WEFT_TIMEOUT) for the last kernel, which ends only once its
//   readers emptied everything it wrote (ring_program.h); then it closes the peers' workspaces.
//   A peer's kernel may still be reading this rank's counters (its own last look at `freed`), so
//   a workspace is freed only by the last communicator of the process that maps it (a count per
//   workspace: thread ranks borrow each other's). Freeing memory another process still maps is
//   undefined in CUDA, and destroy is not collective (waiting for the others' destroys could
//   deadlock ranks that destroy several communicators in different orders), so a workspace
//   that other processes opened stays allocated until the process exits. Abort sets the abort
//   word, and kernels that wait give up at their next look.
namespace {


// Workspaces of this process, by address: how many links map each (its owner's and the thread
// ranks' that borrow it). The last to let go frees it.
std::mutex gHeldMu;
std::map<void*, int> gHeld;

void hold(void* ws) {
  std::lock_guard<std::mutex> lock(gHeldMu);
  ++gHeld[ws];
}

// Whether that was the last hold: the caller frees it.
bool letGo(void* ws) {
  std::lock_guard<std::mutex> lock(gHeldMu);
  auto it = gHeld.find(ws);
  if (it == gHeld.end() || --it->second > 0) return false;
  gHeld.erase(it);
  return true;
}

uint64_t processNonce() {
  static const uint64_t nonce = [] {
    std::random_device rd;
    return (uint64_t(rd()) << 32) ^ rd();
  }();
  return nonce;
}
constexpr size_t kSpareEvents = 64;  // events kept for reuse: creating two per call costs microseconds
// Calls up to this size take the tree where the shape is left to weft (WEFT_CUDA_ALGO=auto) and
// there are more than 2 ranks: 2 log2(n) steps instead of the ring's 2 (n - 1).
constexpr size_t kTreeBytes = 256 << 10;

}  // namespace

DeviceLink::DeviceLink(device::Runtime& rt, int rank, int size, coll::devring::Geometry geo,
                       std::optional<coll::devring::Shape> shape, double timeoutSeconds, bool checkCalls,
                       OnFailure onFailure)
    : rt_(rt),
      rank_(rank),
      size_(size),
      geo_(geo),
      shape_(shape),
      timeoutSeconds_(timeoutSeconds),
      checkCalls_(checkCalls),
      onFailure_(std::move(onFailure)),
      totals_(size) {
  if (geo_.slots < 2) throw InvalidArgument("the device ring needs at least 2 slots per FIFO");
  device_ = rt_.currentDevice();
  void* page = device::allocPinnedPage(rt_);
  setUp_ = new (page) std::atomic<uint64_t>(0);
  abort_ = new (static_cast<unsigned char*>(page) + 64) std::atomic<uint32_t>(0);
  static_assert(128 + sizeof(coll::devring::MismatchReport) * coll::devring::kMaxChannels <= 4096);
  reports_ = new (static_cast<unsigned char*>(page) + 128) coll::devring::MismatchReport[coll::devring::kMaxChannels]{};
  try {
    abortView_ = static_cast<volatile uint32_t*>(rt_.deviceView(abort_));
    reportsView_ = static_cast<coll::devring::MismatchReport*>(rt_.deviceView(reports_));
    wsBytes_ = coll::devring::workspaceBytes(geo_);
    ws_ = static_cast<unsigned char*>(rt_.allocDevice(wsBytes_));
    table_ = static_cast<coll::devring::LinkTable*>(rt_.allocDevice(sizeof(coll::devring::LinkTable)));
    rt_.zero(ws_, wsBytes_);
    rt_.zero(table_, sizeof(coll::devring::LinkTable));
    lastDone_ = rt_.createEvent();
    hold(ws_);
  } catch (...) {
    if (ws_ != nullptr) rt_.freeDevice(ws_);
    if (table_ != nullptr) rt_.freeDevice(table_);
    device::freePinnedPage(rt_, page);
    throw;
  }
}

DeviceLink::~DeviceLink() {
  release();  // a set-up that never ran: the table still says Pending, and kernels return at once
  auto ended = [&](const Deadline& d) {
    while (!rt_.done(lastDone_)) {
      if (d.expired()) return false;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    return true;
  };
  bool quiet = false;
  int callers = -1;  // the caller's current device, made current again below
  try {
    callers = rt_.currentDevice();
    rt_.useDevice(device_);
    quiet = ended(Deadline::after(timeoutSeconds_));
    if (!quiet) {
      WEFT_LOG(Warn, "the device ring's last call has not ended after %.0f s: stopping it", timeoutSeconds_);
      abort(ErrorCode::InvalidUsage, "the communicator was destroyed while its call ran");
      quiet = ended(Deadline::after(1));
    }
  } catch (const std::exception& e) {
    WEFT_LOG(Warn, "the device ring's teardown: %s", e.what());
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    closing_ = true;
  }
  cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  if (!quiet) {
    WEFT_LOG(Warn, "a stream still runs this communicator's device ring: its memory is left allocated");
  } else {
    for (device::Event e : spare_) rt_.destroyEvent(e);
    for (void* p : opened_) rt_.closeIpc(p);
    for (void* p : borrowed_) {
      if (letGo(p)) rt_.freeDevice(p);
    }
    if (exported_) {
      // Other processes opened it, and freeing memory another process still maps is undefined
      // in CUDA; no rank knows when the others have closed theirs without waiting for them.
      WEFT_LOG(Info, "the device ring's workspace (%zu bytes) stays allocated until the process exits: other "
                     "processes mapped it", wsBytes_);
    } else if (letGo(ws_)) {
      rt_.freeDevice(ws_);
    }
    rt_.freeDevice(table_);
    rt_.destroyEvent(lastDone_);
    device::freePinnedPage(rt_, setUp_);
  }
  try {
    if (callers >= 0) rt_.useDevice(callers);
  } catch (const std::exception&) {
  }
}

DeviceLink::Card DeviceLink::card() {
  Card c{};
  c.pid = uint64_t(getpid());
  c.process = processNonce();
  c.device = device_;
  c.shape = shape_ ? 1 + uint32_t(*shape_) : 0;
  c.channels = geo_.channels;
  c.slots = geo_.slots;
  c.slotBytes = geo_.slotBytes;
  c.workspace = reinterpret_cast<uintptr_t>(ws_);
  c.handle = rt_.exportIpc(ws_);
  return c;
}

void DeviceLink::connect(const std::vector<Card>& cards) {
  coll::devring::LinkTable t{};
  const Card& mine = cards[size_t(rank_)];
  for (int r = 0; r < size_; ++r) {
    const Card& c = cards[size_t(r)];
    if (c.shape != mine.shape) {
      throw InvalidUsage("the device ring: ranks " + std::to_string(r) + " and " + std::to_string(rank_) +
                         " choose between ring and tree differently (WEFT_CUDA_ALGO must be the same on every rank)");
    }
    if (c.channels != mine.channels || c.slots != mine.slots || c.slotBytes != mine.slotBytes) {
      throw InvalidUsage("the device ring: rank " + std::to_string(r) + " has " + std::to_string(c.channels) +
                         " channels of " + std::to_string(c.slots) + " x " + std::to_string(c.slotBytes) +
                         " bytes, rank " + std::to_string(rank_) + " " + std::to_string(mine.channels) + " of " +
                         std::to_string(mine.slots) + " x " + std::to_string(mine.slotBytes) +
                         " (WEFT_CUDA_CHANNELS and WEFT_CUDA_SLOT_BYTES must be the same on every rank)");
    }
    if (r == rank_) {
      t.ws[r] = ws_;
    } else if (c.pid == mine.pid && c.process == mine.process) {
      // A thread rank of this process: its pointer as it is, once this device may reach its device.
      if (!rt_.reachPeer(c.device)) {
        throw CudaError("the device ring: device " + std::to_string(device_) + " cannot reach device " +
                        std::to_string(c.device) + " of rank " + std::to_string(r) +
                        " (no peer access; WEFT_CUDA_LINK=staged goes through the host)");
      }
      t.ws[r] = reinterpret_cast<unsigned char*>(uintptr_t(c.workspace));
      hold(t.ws[r]);
      borrowed_.push_back(t.ws[r]);
    } else {
      exported_ = true;  // that rank opens this one's workspace as this one opens its
      try {
        void* p = rt_.openIpc(c.handle);
        opened_.push_back(p);
        t.ws[r] = static_cast<unsigned char*>(p);
      } catch (const std::exception& e) {
        throw CudaError("the device ring: rank " + std::to_string(rank_) + " cannot open rank " + std::to_string(r) +
                        "'s workspace through CUDA IPC (" + e.what() +
                        "; WEFT_CUDA_LINK=staged goes through the host)");
      }
    }
  }
  t.state = coll::devring::LinkTable::Pending;
  rt_.copy(table_, &t, sizeof t);
}

void DeviceLink::ready() {
  const uint32_t state = coll::devring::LinkTable::Ready;
  rt_.copy(&table_->state, &state, sizeof state);
  release();
}

void DeviceLink::fail(ErrorCode code, const std::string& why) noexcept {
  abort(code, why);
  try {
    const uint32_t state = coll::devring::LinkTable::Failed;
    rt_.copy(&table_->state, &state, sizeof state);
  } catch (const std::exception&) {
    abort_->store(1, std::memory_order_release);  // the table could not be written: stop them so
  }
  release();
}

void DeviceLink::release() noexcept {
  if (settled_.exchange(true, std::memory_order_acq_rel)) return;
  setUp_->store(1, std::memory_order_release);
}

void DeviceLink::abort(ErrorCode code, const std::string& why) noexcept {
  abort_->store(1, std::memory_order_release);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopped_.empty()) {
      stopped_ = why.empty() ? "the device ring was stopped" : why;
      stoppedCode_ = code;
    }
  }
  cv_.notify_all();
}

void DeviceLink::launch(const coll::CollArgs& args, device::Stream stream, std::shared_ptr<Work> work) {
  coll::devring::Launcher* launcher = coll::devring::launcher();
  if (launcher == nullptr) throw InvalidArgument("the device ring has no kernels in this build");
  if (const int now = rt_.currentDevice(); now != device_) {
    throw InvalidArgument("this communicator's device ring is on device " + std::to_string(device_) +
                          ", but the current device is " + std::to_string(now) +
                          ": make its device current (cudaSetDevice) for its calls, as at its first");
  }
  coll::devring::RingJob j{};
  j.kind = args.kind == coll::CollKind::Broadcast ? coll::devring::RingKind::Broadcast
                                                  : coll::devring::RingKind::AllReduce;
  j.rank = rank_;
  j.size = size_;
  j.root = args.root;
  j.dtype = int(args.dtype);
  j.op = int(args.op);
  j.elemSize = uint32_t(coll::dtypeSize(args.dtype));
  j.send = args.kind == coll::CollKind::Broadcast && rank_ != args.root ? args.recv : args.send;
  j.recv = args.recv;
  j.count = args.count;
  j.table = table_;
  j.abort = abortView_;
  j.check = checkCalls_ ? 1 : 0;
  j.reports = reportsView_;
  j.geo = geo_;
  j.shape = shape_ ? *shape_ : (size_ > 2 && args.count * j.elemSize <= kTreeBytes ? coll::devring::Shape::Tree
                                                                                     : coll::devring::Shape::Ring);
  Flight f;
  f.work = std::move(work);
  f.args = args;  // its number: the ring's, set below
  std::unique_lock<std::mutex> lock(mu_);
  try {
    f.start = takeEvent();
    f.done = takeEvent();
  } catch (...) {
    lock.unlock();
    land(f, nullptr);
    throw;
  }
  if (!stopped_.empty()) {
    lock.unlock();
    land(f, nullptr);
    throw InvalidUsage("the device ring was stopped: " + stopped_);
  }
  try {
    if (!settled_.load(std::memory_order_acquire)) rt_.waitAtLeast(stream, setUp_, 1);
    // After this link's last call, also on another stream (a handle compared equal might be a
    // new stream's, so the wait is always made; on the same stream it costs next to nothing).
    if (lastStream_ != nullptr) rt_.waitEvent(stream, lastDone_);
    rt_.record(f.start, stream);
    totals_.fill(j);
    const uint32_t number = calls_ + 1;
    f.args.seq = number;
    const transport::Stamp stamp = coll::stampOf(args, rank_, number);
    j.stamp[0] = stamp.lo;
    j.stamp[1] = stamp.hi;
    launcher->launch(j, stream);
  } catch (const std::exception& e) {
    // Work may be queued on the stream already (the wait for the set-up reads the pinned page):
    // the last-call event goes behind it, so that destroy waits for it before freeing the page.
    try {
      rt_.record(lastDone_, stream);
      lastStream_ = stream;
    } catch (const std::exception&) {
    }
    lock.unlock();
    land(f, nullptr);
    // The peers' kernels of this call wait for this rank's, which never comes: the communicator
    // fails and the ring stops here (later calls fail at once); the peers' calls end by
    // WEFT_TIMEOUT.
    const std::string why = std::string("the device ring could not launch a call: ") + e.what();
    onFailure_(ErrorCode::UnhandledCudaError, why);
    abort(ErrorCode::UnhandledCudaError, why);
    throw;
  }
  // Launched: from here the peers' kernels count on this one, so the counters move on whatever
  // fails after.
  totals_.advance(j);
  ++calls_;
  lastStream_ = stream;
  try {
    rt_.record(f.done, stream);  // first: once lastDone_ is done, so is this call
    rt_.record(lastDone_, stream);
  } catch (...) {
    lock.unlock();
    land(f, nullptr);
    abort(ErrorCode::UnhandledCudaError, "the device ring lost track of a call (an event could not be recorded)");
    throw;
  }
  flights_.push_back(std::move(f));
  if (!watchdog_.joinable()) watchdog_ = std::thread([this] { watchLoop(); });
  lock.unlock();
  cv_.notify_all();
}

void DeviceLink::skip() {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_;
}

std::string DeviceLink::mismatchReported() const {
  if (abort_->load(std::memory_order_acquire) == 0) return "";
  for (uint32_t c = 0; c < geo_.channels && c < uint32_t(coll::devring::kMaxChannels); ++c) {
    coll::devring::MismatchReport& r = reports_[c];
    if (std::atomic_ref<uint32_t>(r.posted).load(std::memory_order_acquire) == 0) continue;
    const Error e = coll::callMismatch(rank_, {r.want[0], r.want[1]}, r.from, {r.got[0], r.got[1]});
    return std::string("on the device ring (its calls numbered apart from the host's), ") + e.what();
  }
  return "";
}

device::Event DeviceLink::takeEvent() {
  if (spare_.empty()) return rt_.createEvent();
  device::Event e = spare_.back();
  spare_.pop_back();
  return e;
}

void DeviceLink::land(Flight& f, std::exception_ptr error) {
  if (f.start != nullptr) rt_.destroyEvent(f.start);
  if (f.done != nullptr) rt_.destroyEvent(f.done);
  f.start = f.done = nullptr;
  if (f.work) f.work->complete(error);
}

// The watchdog: completes each call's Work once its kernel is done (with the stop's error if the
// ring was stopped meanwhile), and stops the ring when the oldest call waits too long: for its
// stream to reach it, or, once it did, for its peers.
void DeviceLink::watchLoop() {
  using Clock = std::chrono::steady_clock;
  try {
    rt_.useDevice(device_);
  } catch (const std::exception& e) {
    WEFT_LOG(Warn, "the device ring's watchdog: %s", e.what());
  }
  const auto timeout = std::chrono::duration<double>(timeoutSeconds_);
  Clock::time_point since = Clock::now();  // when the oldest call became the oldest, or was reached
  bool reached = false;
  // Looks come often right after a call started or ended (a request's wait sees the end within
  // tens of microseconds), then less often while a call runs long.
  constexpr auto kFirstNap = std::chrono::microseconds(20), kLongestNap = std::chrono::microseconds(500);
  auto nap = kFirstNap;
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    if (flights_.empty()) {
      if (closing_) return;
      cv_.wait(lock, [&] { return closing_ || !flights_.empty(); });
      since = Clock::now();
      reached = false;
      nap = kFirstNap;
      continue;
    }
    Flight& f = flights_.front();
    bool done = false, ran = false;
    try {
      // Once stopped, a call ends at once: its kernel, whenever it runs, returns at its first look.
      ran = rt_.done(f.done);
      done = ran || !stopped_.empty() || closing_;
      if (!done && !reached && rt_.done(f.start)) {
        reached = true;
        since = Clock::now();
      }
    } catch (const std::exception& e) {
      done = true;  // the event cannot be asked: the call is lost
      if (stopped_.empty()) {
        stopped_ = std::string("the device ring: ") + e.what();
        stoppedCode_ = ErrorCode::UnhandledCudaError;
      }
    }
    if (stopped_.empty()) {
      // A kernel found a slot of another call: that fails the communicator, as a timeout does.
      if (std::string why = mismatchReported(); !why.empty()) {
        lock.unlock();
        WEFT_LOG(Warn, "%s", why.c_str());
        onFailure_(ErrorCode::InvalidUsage, why);
        abort(ErrorCode::InvalidUsage, why);
        lock.lock();
        continue;
      }
    }
    if (done) {
      Flight g = std::move(f);
      flights_.pop_front();
      if (ran && spare_.size() < kSpareEvents) {  // both events are done: reused by a later call
        spare_.push_back(g.start);
        spare_.push_back(g.done);
        g.start = g.done = nullptr;
      }
      std::exception_ptr error;
      if (!stopped_.empty()) error = std::make_exception_ptr(Error(stoppedCode_, coll::describe(g.args) + ": " + stopped_));
      else if (closing_) error = std::make_exception_ptr(InvalidUsage(coll::describe(g.args) + ": the communicator was destroyed"));
      lock.unlock();
      land(g, error);
      lock.lock();
      since = Clock::now();
      reached = false;
      nap = kFirstNap;
      continue;
    }
    if (timeoutSeconds_ > 0 && stopped_.empty() && Clock::now() - since > timeout) {
      const std::string why =
          coll::describe(f.args) + " on the device ring: " +
          (reached ? "its peers did not join it" : "the stream did not reach the call (the work enqueued on it before the call has not finished)") +
          " within " + std::to_string(int(timeoutSeconds_)) + " s (WEFT_TIMEOUT)";
      lock.unlock();
      WEFT_LOG(Warn, "%s", why.c_str());
      onFailure_(ErrorCode::Timeout, why);  // fails the communicator, which stops the ring
      abort(ErrorCode::Timeout, why);
      lock.lock();
      continue;
    }
    cv_.wait_for(lock, nap);
    nap = std::min(nap * 2, kLongestNap);
  }
}

}  // namespace weft::runtime
