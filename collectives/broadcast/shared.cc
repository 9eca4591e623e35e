// SPDX-License-Identifier: Apache-2.0
// Shared broadcast on one host: every rank copies the message straight from the root's buffer
// (Note [Shared algorithms]): one copy per receiver, where a chain copies into a FIFO and out.
#include "collectives/kernels/copy.h"
#include "collectives/operation.h"
#include "collectives/peer_messages.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"

namespace weft::coll {
namespace {

// The root announces its input (the others lend nothing); each receiver copies it into its
// output while the root copies it into its own (out of place); the done round keeps the root in
// the call until no receiver reads its input any more. Where the root's input is not loadable,
// the call goes to the fallback.
class SharedBroadcastOp final : public PeerMessageOp {
 public:
  SharedBroadcastOp(const Context& ctx, const CollArgs& a)
      : PeerMessageOp(ctx, a,
                      PeerAddress::of(ctx, ctx.rank == a.root ? a.send : nullptr, nullptr, a.count * dtypeSize(a.dtype)),
                      false, true, nullptr),
        bytes_(a.count * dtypeSize(a.dtype)), streaming_(a.send != a.recv && bytes_ >= Primitives::kStreamingBytes) {}

 private:
  void work() override {
    if (ctx_.rank == args_.root) {
      if (args_.send != args_.recv) copyOut(args_.recv, args_.send, bytes_, streaming_);
      return;
    }
    transport::Endpoint& link = ctx_.link(args_.root);
    const PeerAddress& root = msgs_.addressOf(args_.root);
    if (const std::byte* theirs = link.peerPointer(root.send, bytes_, root.sendShared)) {
      copyOut(args_.recv, theirs, bytes_, streaming_);
    } else {
      link.readPeer(root.send, args_.recv, bytes_);  // a mapping failed here: still correct
    }
  }
  void peerReady(int) override {}  // no ready round: nothing to do per peer
  void finished() override {
    if (streaming_) streamingFence();
  }

  const size_t bytes_;
  const bool streaming_;
};

class SharedBroadcast final : public Algorithm {
 public:
  std::string_view name() const override { return "shared"; }
  CollKind kind() const override { return CollKind::Broadcast; }
  bool supports(const CollArgs&, const Context& ctx) const override { return ctx.peerReads; }
  // Two rounds of messages to every peer; every rank copies the message once.
  CostShape shape(int n) const override { return {2.0 * (n - 1), 1}; }
  bool handsOff() const override { return true; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<SharedBroadcastOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& sharedBroadcast() {
  static const SharedBroadcast algo;
  return algo;
}

}  // namespace weft::coll
