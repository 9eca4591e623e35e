// SPDX-License-Identifier: Apache-2.0
// Direct all-gather on one host: every rank copies every peer's block straight from the peer's
// input into its output (Note [Peer reads]): one copy per block where the ring makes two.
#include <cstring>

#include "collectives/kernels/copy.h"
#include "collectives/operation.h"
#include "collectives/peer_messages.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// Addresses go out and come in (PeerMessages, with no ready round: the blocks read are inputs,
// valid once their owner has entered the call); the rank copies its own block, then each peer's;
// the done round keeps every input alive until no peer reads it any more.
class DirectAllGatherOp final : public PeerMessageOp {
 public:
  // `shared`: the shared algorithm (Note [Shared algorithms]).
  DirectAllGatherOp(const Context& ctx, const CollArgs& a, bool shared)
      : PeerMessageOp(ctx, a, PeerAddress::of(ctx, a.send, nullptr, a.count * dtypeSize(a.dtype)), false, shared,
                      &directAllGather()),
        block_(a.count * dtypeSize(a.dtype)), streaming_(block_ * size_t(ctx.size) >= Primitives::kStreamingBytes) {}

 private:
  void work() override {
    std::byte* mine = out(ctx_.rank);
    if (mine != args_.send) copyOut(mine, args_.send, block_, streaming_);
  }
  void peerReady(int peer) override {
    transport::Endpoint& link = ctx_.link(peer);
    const PeerAddress& theirs = msgs_.addressOf(peer);
    if (const std::byte* from = link.peerPointer(theirs.send, block_, theirs.sendShared)) {
      copyOut(out(peer), from, block_, streaming_);
    } else {
      link.readPeer(theirs.send, out(peer), block_);
    }
  }
  void finished() override {
    if (streaming_) streamingFence();
  }

  std::byte* out(int rank) const { return static_cast<std::byte*>(args_.recv) + size_t(rank) * block_; }

  const size_t block_;
  const bool streaming_;
};

class DirectAllGather final : public Algorithm {
 public:
  std::string_view name() const override { return "direct"; }
  CollKind kind() const override { return CollKind::AllGather; }
  bool supports(const CollArgs&, const Context& ctx) const override { return ctx.peerReads; }
  // Two rounds of messages to every peer; every peer's block copied once.
  CostShape shape(int n) const override { return {2.0 * (n - 1), double(n - 1)}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<DirectAllGatherOp>(ctx, args, false);
  }
};

// The same where every rank's buffers are loadable, the fallback's algorithm elsewhere.
class SharedAllGather final : public Algorithm {
 public:
  std::string_view name() const override { return "shared"; }
  CollKind kind() const override { return CollKind::AllGather; }
  bool supports(const CollArgs&, const Context& ctx) const override { return ctx.peerReads; }
  CostShape shape(int n) const override { return {2.0 * (n - 1), double(n - 1)}; }
  bool handsOff() const override { return true; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<DirectAllGatherOp>(ctx, args, true);
  }
};

}  // namespace

const Algorithm& directAllGather() {
  static const DirectAllGather algo;
  return algo;
}

const Algorithm& sharedAllGather() {
  static const SharedAllGather algo;
  return algo;
}

}  // namespace weft::coll
