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
class SharedBroadcastOp final : public Operation {
 public:
  SharedBroadcastOp(const Context& ctx, const CollArgs& a)
      : ctx_(ctx), args_(a), bytes_(a.count * dtypeSize(a.dtype)),
        streaming_(a.send != a.recv && bytes_ >= Primitives::kStreamingBytes),
        msgs_(ctx, a, PeerAddress::of(ctx, ctx.rank == a.root ? a.send : nullptr, nullptr, bytes_), false) {}

  Progress advance() override {
    if (handOff_.active()) return handOff_.advance();
    bool advanced = false;
    for (;;) {
      const PeerMessages::Step s = msgs_.step();
      advanced = advanced || s.advanced;
      if (s.blocked) return advanced ? Progress::Advanced : Progress::Blocked;
      switch (s.stage) {
        case PeerMessages::Stage::Work:
          if (handOff_.start(ctx_, args_, msgs_, nullptr)) return handOff_.advance(advanced);
          copy();
          msgs_.workDone();
          advanced = true;
          break;
        case PeerMessages::Stage::PeerReady:
          break;  // no ready round: nothing to do per peer
        case PeerMessages::Stage::Finished:
          if (streaming_) streamingFence();
          return Progress::Done;
      }
    }
  }
  int blockedOn() const override { return handOff_.active() ? handOff_.blockedOn() : msgs_.blockedOn(); }
  std::string waitingFor() const override { return handOff_.active() ? handOff_.waitingFor() : msgs_.waitingFor(); }

 private:
  void copy() {
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

  const Context& ctx_;
  const CollArgs& args_;
  const size_t bytes_;
  const bool streaming_;
  PeerMessages msgs_;
  HandOff handOff_;
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
