// SPDX-License-Identifier: Apache-2.0
// Communicator::shrink: a new communicator of the ranks not excluded, wired through the parent's
// links among them (Note [Shrink]).
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "collectives/operation.h"
#include "collectives/registry.h"
#include "collectives/signature.h"
#include "common/error.h"
#include "common/hash.h"
#include "common/log.h"
#include "runtime/bootstrap.h"
#include "runtime/communicator.h"
#include "runtime/transport_choice.h"

namespace weft::runtime {
namespace {

// Note [Shrink]
// After a failure the parent's links among the survivors may still hold messages of the calls
// that failed (sent, never received), and a survivor may still be inside such a call. So each
// survivor first sends every other survivor a marker (a message whose stamp no call carries:
// coll::shrinkMarker, with the shrink's number and a hash of the excluded list) and reads from
// each, discarding, until that peer's marker arrives; links are FIFOs, so whatever follows is
// the shrink's own. A survivor still inside a failed call receives the marker instead of what
// it waits for and fails at once (a mismatch naming weftCommShrink), which ends its call early.
// Then the survivors do what split does over the parent: listen on a new transport, all-gather
// the addresses (ring algorithms over the survivors' links only), connect, agree on peer reads.
// Links to excluded ranks are never touched, so a dead rank costs nothing here.
class DrainOp final : public coll::Operation {
 public:
  DrainOp(const coll::Context& ctx, transport::Stamp marker) : ctx_(ctx), marker_(marker) {
    sent_.assign(size_t(ctx.size), false);
    seen_.assign(size_t(ctx.size), false);
    sent_[size_t(ctx.rank)] = seen_[size_t(ctx.rank)] = true;
  }

  coll::Progress advance() override {
    bool moved = false, done = true;
    waiting_ = {};
    for (int p = 0; p < ctx_.size; ++p) {
      transport::Endpoint* link = ctx_.links[size_t(p)];
      if (!sent_[size_t(p)] && link->trySendSlot() != nullptr) {
        link->postSend(0, marker_);
        sent_[size_t(p)] = moved = true;
      }
      size_t bytes = 0;
      while (!seen_[size_t(p)] && link->tryRecvSlot(&bytes) != nullptr) {
        const transport::Stamp got = link->recvStamp();
        link->releaseRecv();
        moved = true;
        if (got == marker_) {
          seen_[size_t(p)] = true;
        } else if (coll::isShrinkMarker(got)) {
          throw InvalidUsage("rank " + std::to_string(link->peer()) +
                             " shrinks with another list of excluded ranks: every survivor must pass the same list");
        }  // else a message of a call that failed: dropped
      }
      if (!sent_[size_t(p)] || !seen_[size_t(p)]) {
        done = false;
        blocked_ = link->peer();
        blockedOnMarker_ = sent_[size_t(p)];
        waiting_.add(blocked_);
      }
    }
    return done ? coll::Progress::Done : moved ? coll::Progress::Advanced : coll::Progress::Blocked;
  }
  std::string waitingFor() const override {
    return (blockedOnMarker_ ? "the shrink marker from rank " : "a free slot to send the shrink marker to rank ") +
           std::to_string(blocked_);
  }
  // Every survivor not done with yet (Note [Stalled peers]), the one named last first.
  coll::PeerSet blockedOn() const override {
    coll::PeerSet s = coll::PeerSet::of(blocked_);
    for (const int p : waiting_) s.add(p);
    return s;
  }

 private:
  const coll::Context& ctx_;
  const transport::Stamp marker_;
  std::vector<bool> sent_, seen_;
  int blocked_ = -1;
  bool blockedOnMarker_ = true;
  coll::PeerSet waiting_;
};

// One collective over the survivors, by `algorithm`, as the shrink's `number`-th.
void runOver(const coll::Context& base, coll::CollArgs args, const coll::Algorithm& algorithm, uint32_t number) {
  coll::Context ctx = base;
  args.seq = number;
  ctx.stamp = coll::stampOf(args, ctx.rank, number);
  const auto op = algorithm.start(ctx, args);
  coll::runToCompletion(ctx, args, *op);
}

}  // namespace

std::vector<int> Communicator::failedRanks() {
  std::vector<int> out;
  if (!transport_) return out;
  // peerAlive is loop-bound like the transport: not while another thread runs a call here.
  BusyGuard guard(busy_);
  for (int r = 0; r < size_; ++r) {
    if (r != rank_ && !transport_->peerAlive(r)) out.push_back(r);
  }
  return out;
}

std::unique_ptr<Communicator> Communicator::shrink(std::span<const int> excluded, bool abortFirst) {
  log::RankScope scope(rank_);
  std::vector<bool> out(size_t(size_), false);
  for (int r : excluded) {
    if (r < 0 || r >= size_) throw InvalidArgument("excluded rank " + std::to_string(r) + " is not a rank of this communicator of " + std::to_string(size_));
    if (out[size_t(r)]) throw InvalidArgument("rank " + std::to_string(r) + " is excluded twice");
    out[size_t(r)] = true;
  }
  if (out[size_t(rank_)]) throw InvalidArgument("rank " + std::to_string(rank_) + " excludes itself: excluded ranks do not call weftCommShrink");
  if (abortFirst) {
    abort();  // ends the calls still running or queued here, and waits for them
  } else {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return queue_.empty() && !running_; });
  }
  Inside inside(*this);
  BusyGuard guard(busy_);
  std::vector<int> members;  // parent ranks of the survivors, in order: their new ranks
  for (int r = 0; r < size_; ++r) {
    if (!out[size_t(r)]) members.push_back(r);
  }
  const int newSize = int(members.size());
  const int newRank = int(std::find(members.begin(), members.end(), rank_) - members.begin());
  std::vector<transport::Endpoint*> sub;
  for (int r : members) sub.push_back(r == rank_ ? nullptr : linkPtrs_[size_t(r)]);
  coll::Context ctx;
  ctx.rank = newRank;
  ctx.size = newSize;
  ctx.transport = transport_.get();
  ctx.links = sub;
  ctx.wait = &config_.wait;
  ctx.deadline = Deadline::after(config_.timeoutSeconds);
  ctx.chunkBytes = chunkBytes_;

  // 1. Markers (Note [Shrink]).
  std::string list;
  for (int r : members) list += std::to_string(r) + ",";  // the survivors name the excluded alike
  const uint64_t listHash = fnv1a(list);
  if (newSize > 1) {
    const coll::CollArgs drainArgs{coll::CollKind::Barrier};
    DrainOp drain(ctx, coll::shrinkMarker(++shrinks_, listHash));
    coll::runToCompletion(ctx, drainArgs, drain);
  }

  // 2. As split: a new transport, its addresses gathered over the survivors, connected.
  Links links;
  for (int r : members) {
    links.where.hosts.push_back(where_.hosts[size_t(r)]);
    links.where.ucxNet.push_back(where_.ucxNet[size_t(r)]);
    links.where.gpus.push_back(where_.gpus[size_t(r)]);
    links.where.cpus.push_back(where_.cpus[size_t(r)]);
  }
  uint64_t nonce = std::stoull(randomHex(), nullptr, 16);
  uint32_t number = 0;
  runOver(ctx, {coll::CollKind::Broadcast, &nonce, &nonce, 1, coll::DataType::Uint64, coll::ReduceOp::Sum, 0},
          coll::chainBroadcast(), ++number);
  transport::MuxOptions mux;
  mux.rank = newRank;
  mux.nranks = newSize;
  mux.perPeer = chooseTransports(config_.transport, links.where, newRank);
  char tag[17];
  std::snprintf(tag, sizeof(tag), "%016llx", static_cast<unsigned long long>(nonce));
  setTransportOptions(config_, tag, links.where, mux);
  links.transport = std::make_unique<transport::MuxTransport>(mux);
  std::vector<std::byte> myAddress = links.transport->listen();
  uint64_t myBytes = myAddress.size();
  std::vector<uint64_t> lengths(static_cast<size_t>(newSize));
  runOver(ctx, {coll::CollKind::AllGather, &myBytes, lengths.data(), 1, coll::DataType::Uint64}, coll::ringAllGather(),
          ++number);
  const size_t width = std::max<size_t>(1, size_t(*std::max_element(lengths.begin(), lengths.end())));
  myAddress.resize(width);
  std::vector<std::byte> addresses(width * size_t(newSize));
  runOver(ctx, {coll::CollKind::AllGather, myAddress.data(), addresses.data(), width, coll::DataType::Uint8},
          coll::ringAllGather(), ++number);
  links.endpoints.resize(size_t(newSize));
  for (int i = 0; i < newSize; ++i) {
    if (i == newRank) continue;
    links.endpoints[size_t(i)] =
        links.transport->connect(i, std::span(addresses.data() + size_t(i) * width, size_t(lengths[size_t(i)])));
  }
  // 3. Every survivor has connected (segments mapped) before names go; peer reads agreed.
  uint8_t readsAll = 1, agreed = 0;
  for (int i = 0; i < newSize; ++i) {
    if (i != newRank && !links.endpoints[size_t(i)]->canReadPeer()) readsAll = 0;
  }
  runOver(ctx, {coll::CollKind::AllReduce, &readsAll, &agreed, 1, coll::DataType::Uint8, coll::ReduceOp::Min},
          coll::ringAllReduce(), ++number);
  links.peerReads = agreed == 1;
  links.transport->finishSetup();
  WEFT_LOG(Info, "shrink: rank %d of %d is rank %d of %d (%zu excluded)", rank_, size_, newRank, newSize,
           excluded.size());
  return assemble(newRank, newSize, config_, choosing_, std::move(links));
}

}  // namespace weft::runtime
