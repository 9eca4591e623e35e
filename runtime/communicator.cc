// SPDX-License-Identifier: Apache-2.0
// Communicator set-up and the collectives it runs (argument checks live in c_api.cc).
#include "runtime/communicator.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <thread>

#include "collectives/registry.h"
#include "collectives/signature.h"
#include "common/error.h"
#include "common/log.h"
#include "runtime/bootstrap.h"
#include "runtime/host_cpus.h"
#include "runtime/transport_choice.h"

namespace weft::runtime {
namespace {

// Rejects a second thread entering the same communicator (NCCL leaves this undefined).

}  // namespace

std::unique_ptr<Communicator> Communicator::create(std::shared_ptr<store::Store> store, int rank,
                                                   int size, const Config& config,
                                                   std::shared_ptr<void> keepAlive) {
  log::RankScope scope(rank);
  Choosing choosing = Choosing::fromConfig(config);  // before meeting: fail alike, early
  transportList(config.transport);
  Links links = connectRanks(*store, rank, size, config, choosing.fingerprint);
  auto c = assemble(rank, size, config, std::move(choosing), std::move(links));
  c->keepAlive_ = std::move(keepAlive);
  WEFT_LOG(Info, "communicator ready: rank %d of %d via %s", rank, size, store->describe().c_str());
  return c;
}

std::unique_ptr<Communicator> Communicator::assemble(int rank, int size, const Config& config,
                                                     Choosing choosing, Links links) {
  Config tuned = config;
  if (tuned.wait.spinUs == kAutoSpin) {
    const int ranks = ranksOfHost(links.where, rank), cpus = cpusOfHost(links.where, rank);
    tuned.wait.spinUs = autoSpinUs(ranks, cpus);
    WEFT_LOG(Info, "waits spin %g us: %d ranks on this host, %d CPUs between them", tuned.wait.spinUs, ranks, cpus);
  }
  std::unique_ptr<Communicator> c(new Communicator(rank, size, tuned));
  c->tuner_ = coll::Tuner(*choosing.table, links.transport ? links.transport->name() : "self", size);
  c->choosing_ = std::move(choosing);
  c->transport_ = std::move(links.transport);
  c->links_ = std::move(links.endpoints);
  c->where_ = std::move(links.where);
  c->peerReads_ = links.peerReads;
  for (const auto& e : c->links_) c->linkPtrs_.push_back(e.get());
  std::vector<std::string> seen;  // hosts, numbered in order of first appearance
  for (const std::string& h : c->where_.hosts) {
    auto it = std::find(seen.begin(), seen.end(), h);
    if (it == seen.end()) it = seen.insert(seen.end(), h);
    c->hostOf_.push_back(int(it - seen.begin()));
  }
  c->hostCount_ = std::max<int>(1, int(seen.size()));
  // Note [Device link]: auto takes the ring unless two ranks share a GPU.
  bool gpuShared = false;
  for (size_t a = 0; a < c->where_.gpus.size(); ++a) {
    for (size_t b = a + 1; b < c->where_.gpus.size(); ++b) {
      if (!c->where_.gpus[a].empty() && c->where_.gpus[a] == c->where_.gpus[b]) gpuShared = true;
    }
  }
  c->deviceRing_ = config.cudaLink == "ring" || (config.cudaLink == "auto" && !gpuShared);
  if (!seen.empty() && c->size_ % c->hostCount_ == 0) {
    const int each = c->size_ / c->hostCount_;
    std::vector<int> count(seen.size(), 0);
    for (int h : c->hostOf_) ++count[size_t(h)];
    if (std::all_of(count.begin(), count.end(), [&](int n) { return n == each; })) c->ranksPerHost_ = each;
  }
  size_t chunk = 0;
  for (const std::string& t : transportsInUse(config.transport, c->where_)) {
    const size_t slot = t == "shm" ? config.shmSlotBytes : t == "ucx" ? config.ucxSlotBytes : config.socketSlotBytes;
    chunk = chunk == 0 ? slot : std::min(chunk, slot);
  }
  c->chunkBytes_ = chunk;
  return c;
}

Communicator::~Communicator() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  // The collective running now ends (or times out); those still queued fail below.
  if (progress_.joinable()) progress_.join();
  for (auto& p : queue_) {
    const std::string what = p->job ? std::string("a group of calls") : coll::describe(p->args);
    p->fail(std::make_exception_ptr(InvalidUsage(what + " never ran: its communicator was destroyed first")));
  }
  // What an aborted or failed communicator left queued belongs to calls that did not complete:
  // nobody is owed it, and a peer that stopped reading would hold the close up.
  if (aborted_.load(std::memory_order_acquire) || failed_.load(std::memory_order_acquire)) {
    std::string what;
    ErrorCode code;
    {
      std::lock_guard<std::mutex> lock(mu_);
      what = failure_;
      code = failureCode_;
    }
    sendFailureNotices(code, -1, what);  // an abort between calls: no call sent them
    for (auto& link : links_) {
      if (link) link->abandon();
    }
  }
  links_.clear();
  transport_.reset();
}

std::unique_ptr<Communicator::Pending> Communicator::prepare(const coll::CollArgs& args) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return queue_.empty() && !running_; });
  }
  return prepareNow(args);
}

std::unique_ptr<Communicator::Pending> Communicator::prepareNow(const coll::CollArgs& args) {
  auto p = std::make_unique<Pending>();
  p->work = std::make_shared<Work>();
  prepareInto(*p, args);
  return p;
}

void Communicator::prepareInto(Pending& pending, const coll::CollArgs& args) {
  log::RankScope scope(rank_);
  Pending* p = &pending;
  p->args = args;
  // One thread prepares at a time (as for the flight recorder below): no locked increment.
  p->args.seq = seq_.load(std::memory_order_relaxed) + 1;
  seq_.store(p->args.seq, std::memory_order_relaxed);
  refuseIfFailed();
  // Empty calls take their number too, so that one rank's empty call against another's
  // non-empty one shows as a mismatch at their next message.
  coll::Context& ctx = p->ctx;
  ctx.stamp = coll::stampOf(p->args, rank_, nextNumber(p->args));
  ctx.checkStamps = config_.checkCalls;
  // NCCL returns at once for empty calls; a barrier has no data but still synchronizes.
  if (p->args.count == 0 && p->args.kind != coll::CollKind::Barrier) return;
  ctx.rank = rank_;
  ctx.size = size_;
  ctx.transport = transport_.get();
  ctx.links = linkPtrs_;
  ctx.hostOf = hostOf_;
  ctx.hostCount = hostCount_;
  ctx.ranksPerHost = ranksPerHost_;
  ctx.wait = &config_.wait;
  ctx.chunkBytes = chunkBytes_;
  ctx.peerReads = peerReads_;
  ctx.staging = &staging_;
  ctx.deadline = Deadline::afterCoarse(config_.timeoutSeconds);
  ctx.aborted = &aborted_;
  const size_t bytes = p->args.count * coll::dtypeSize(p->args.dtype);
  LastChoice& last = lastChoice_[size_t(p->args.kind)];
  if (last.bytes != bytes) last = {bytes, coll::selectAlgorithm(p->args, ctx, choosing_.spec, tuner_)};
  const coll::Selection chosen = last.chosen;
  ctx.fallback = chosen.fallback;
  if (log::enabled(log::Level::Info)) logChoice(p->args, ctx, chosen);
  p->op = chosen.algorithm->start(ctx, p->args);
  p->flight = flight_.start(p->args, chosen.algorithm->name());
}

void Communicator::refuseIfFailed() const {
  if (failed_.load(std::memory_order_seq_cst)) {  // seq_cst: Note [Abort] (a plain load on x86)
    std::lock_guard<std::mutex> lock(mu_);
    throw InvalidUsage("this communicator failed earlier (" + failure_ + "); destroy it and make a new one");
  }
}

uint32_t Communicator::nextNumber(const coll::CollArgs& args) {
  if (args.kind != coll::CollKind::Send && args.kind != coll::CollKind::Recv) return ++collectives_;
  auto& counts = args.kind == coll::CollKind::Send ? sentTo_ : receivedFrom_;
  if (counts.empty()) counts.assign(size_t(size_), 0);
  return ++counts[size_t(args.root)];
}

void Communicator::logChoice(const coll::CollArgs& args, const coll::Context& ctx, const coll::Selection& s) const {
  const size_t bytes = args.count * coll::dtypeSize(args.dtype);
  std::string why;
  switch (s.why) {
    case coll::Selection::Why::Forced: why = "forced by WEFT_ALGO"; break;
    case coll::Selection::Why::ForcedDeclined:
      why = "WEFT_ALGO forced " + std::string(choosing_.spec.forced(args.kind, bytes)) + ", which declines this call";
      break;
    case coll::Selection::Why::Tuned: why = tuner_.explain(args, ctx); break;
    case coll::Selection::Why::Default: why = "the default: no tuning constants for this call"; break;
  }
  // A shared algorithm runs the fallback where the buffers are not all shared.
  const std::string name = std::string(s.algorithm->name()) +
                           (s.fallback ? ", else " + std::string(s.fallback->name()) : std::string());
  WEFT_LOG(Info, "%s, %zu bytes: %s (%s)", coll::describe(args).c_str(), bytes, name.c_str(), why.c_str());
}

void Communicator::finish(Pending& p, std::exception_ptr error) {
  if (error) {
    // A collective that stopped halfway, whatever the reason (a timeout, a dead peer, a peer that
    // called another collective), leaves messages in the FIFOs: the links are unusable. Errors of
    // argument checks never get here (they come before the collective starts).
    std::string what = "an unknown error";
    ErrorCode code = ErrorCode::InternalError;
    int culprit = -1;
    std::string told;  // what the notices say: the first failure's own message
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      what = e.what();
      code = e.code();
      culprit = e.about();
      if (const auto* n = dynamic_cast<const coll::NoticedError*>(&e)) told = n->root();
    } catch (const std::bad_alloc&) {
      what = "out of memory";
      code = ErrorCode::SystemError;
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    recordFailure(code, what);
    sendFailureNotices(code, culprit, told.empty() ? what : told);
    flight_.end(p.flight, p.args.seq, false);
    flight_.dump(rank_);
  } else {
    flight_.end(p.flight, p.args.seq, true);
  }
  if (p.work) p.work->complete(error);
}

void Communicator::recordFailure(ErrorCode code, const std::string& what) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failure_.empty()) {
    failure_ = what;
    failureCode_ = code;
  }
  failed_.store(true, std::memory_order_release);
  if (link_) link_->abort(code, what);  // ring kernels waiting for a failed peer would wait forever
}

void Communicator::execute(Pending& p) {
  log::RankScope scope(rank_);
  std::exception_ptr error;
  try {
    if (p.op) coll::runToCompletion(p.ctx, p.args, *p.op);
  } catch (...) {
    error = std::current_exception();
  }
  finish(p, error);
}

// Note [Stores on the hot path]
// A rank's last store of a call usually goes to a FIFO header its peer is polling, so the line
// must first be fetched back from the peer's core, hundreds of cycles here. x86 lets the rank
// run on meanwhile with that store and the next ones queued in its store buffer, unless the
// buffer must drain first: a locked instruction (atomic read-modify-write, seq_cst store), a
// load that reads part of a queued store (a store-forwarding miss, such as a small struct or an
// optional<enum> returned through the stack and read back wider), or simply a full buffer
// (a few dozen stores). Each of these made the next call wait out the previous call's fetch;
// removing them (one locked instruction per call, Note [Abort]; datatype checks inlined;
// Primitives built in place instead of copied twice, 270 bytes each; one division instead of four)
// took an 8-byte broadcast at 2 ranks from 0.27 to 0.19 us. Keep the per-call path free of
// atomics other than the BusyGuard's, and of copies of large structs.
void Communicator::run(const coll::CollArgs& args) {
  BusyGuard guard(busy_);  // also what abort() waits for here: no Inside (Note [Abort])
  if (async_.load(std::memory_order_acquire)) {
    submit(args)->wait(-1);  // rethrows the collective's error
    return;
  }
  // Nothing queued: run here, without the Work a queued call needs (the common, fast path).
  Pending p;
  prepareInto(p, args);
  log::RankScope scope(rank_);
  try {
    if (p.op) coll::runToCompletion(p.ctx, p.args, *p.op);
  } catch (...) {
    finish(p, std::current_exception());
    throw;
  }
  flight_.end(p.flight, p.args.seq, true);
}

std::shared_ptr<Work> Communicator::submit(const coll::CollArgs& args, Ready ready, std::shared_ptr<Work> work) {
  auto p = std::make_unique<Pending>();
  p->args = args;
  p->ready = std::move(ready);
  if (!work) work = std::make_shared<Work>();
  p->work = work;
  enqueue(std::move(p));
  return work;
}

std::exception_ptr Communicator::waitReady(const Ready& ready) const {
  try {
    ready(Deadline::afterCoarse(config_.timeoutSeconds), aborted_);
    return nullptr;
  } catch (...) {
    return std::current_exception();
  }
}

void Communicator::submitJob(std::function<void()> job, std::function<void(std::exception_ptr)> drop) {
  auto p = std::make_unique<Pending>();
  p->job = std::move(job);
  p->drop = std::move(drop);
  enqueue(std::move(p));
}

void Communicator::enqueue(std::unique_ptr<Pending> p) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) throw InvalidUsage("the communicator is being destroyed");
    if (!progress_.joinable()) {
      progress_ = std::thread([this] { progressLoop(); });
      async_.store(true, std::memory_order_release);
    }
    queue_.push_back(std::move(p));
  }
  cv_.notify_all();
}

// Note [Progress thread]: it takes queued collectives one at a time, in order, and prepares each
// only when it is about to run it, so that a collective's deadline starts when it starts.
void Communicator::progressLoop() {
  for (;;) {
    std::unique_ptr<Pending> queued;
    std::optional<Inside> inside;  // counted before the call leaves the queue (Note [Abort])
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, nothing left
      if (stopping_) return;       // the destructor fails what is still queued
      queued = std::move(queue_.front());
      queue_.pop_front();
      running_ = true;
      inside.emplace(*this);
    }
    std::unique_ptr<Pending> p;
    std::exception_ptr notReady;
    if (queued->job) {
      try {
        queued->job();
      } catch (...) {
        // The job's calls carry their errors.
      }
    } else {
      // Before prepare: an algorithm's start may read the input already.
      if (queued->ready) notReady = waitReady(queued->ready);
      try {
        p = prepareNow(queued->args);
        p->work = queued->work;
      } catch (...) {
        queued->work->complete(std::current_exception());
      }
    }
    if (p) {
      // A call that never started fails the communicator as one that stopped halfway: its
      // peers' copies of it cannot complete. It is numbered first, as theirs are.
      if (notReady) finish(*p, notReady);
      else execute(*p);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      running_ = false;
    }
    cv_.notify_all();
  }
}

// Note [Abort]: the flag is read by every waiting call before it naps (coll::checkStalled), so no
// call sleeps through it for longer than one nap; the progress thread takes nothing more from a
// queue emptied here. Waiting for the threads inside is what lets the caller free the
// communicator at once, as ncclCommAbort does: none of them touches it after leaving. A blocking
// call on the caller's thread is not counted as Inside but seen through busy_: its BusyGuard is
// the one locked instruction it pays on entry (each costs the wait for the store buffer to drain,
// there the previous call's stores into peers' FIFOs, Note [Stores on the hot path]). The guard's
// exchange, then its read of failed_, against abort's store of failed_, the fence below, then its
// read of busy_: either the call sees the failure or abort sees the call.
void Communicator::abort() {
  std::deque<std::unique_ptr<Pending>> dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (failure_.empty()) {
      failure_ = std::string(coll::kAbortedByUser) + " on rank " + std::to_string(rank_);
      failureCode_ = ErrorCode::InvalidUsage;
    }
    failed_.store(true, std::memory_order_release);
    aborted_.store(true, std::memory_order_release);
    dropped.swap(queue_);
    if (link_) link_->abort(failureCode_, failure_);
  }
  cv_.notify_all();
  for (auto& p : dropped) {
    p->fail(std::make_exception_ptr(InvalidUsage(
        std::string("a queued ") + (p->job ? "group of calls" : coll::collName(p->args.kind)) + " on rank " +
        std::to_string(rank_) + ": " + coll::kAbortedByUser + " before it started")));
  }
  std::atomic_thread_fence(std::memory_order_seq_cst);
  while (inside_.load(std::memory_order_acquire) > 0 || busy_.load(std::memory_order_seq_cst)) {
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

void Communicator::sendFailureNotices(ErrorCode code, int culprit, const std::string& what) {
  if (noticed_.exchange(true, std::memory_order_acq_rel)) return;
  const transport::Stamp stamp = coll::failureNotice(code, culprit);
  for (int peer = 0; peer < size_; ++peer) {
    transport::Endpoint* link = linkPtrs_[size_t(peer)];
    if (link == nullptr) continue;
    try {
      if (!transport_->peerAlive(peer)) continue;
      const size_t bytes = std::min(what.size(), link->slotBytes());
      std::byte* slot = link->trySendSlot(bytes);  // only the room it needs (Note [Slot FIFOs])
      if (slot == nullptr) continue;  // the peer is not reading this link
      std::memcpy(slot, what.data(), bytes);
      link->postSend(bytes, stamp);
    } catch (const std::exception&) {
      // That link failed too: nobody to tell there.
    }
  }
}

ErrorCode Communicator::asyncError() const {
  if (!failed_.load(std::memory_order_acquire)) return ErrorCode::Success;
  std::lock_guard<std::mutex> lock(mu_);
  return failureCode_;
}

}  // namespace weft::runtime
