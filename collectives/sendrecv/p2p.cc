// SPDX-License-Identifier: Apache-2.0
// Point-to-point send and receive: one chunked transfer over the pair's FIFO.
#include "collectives/operation.h"
#include "collectives/registry.h"
#include "collectives/transfer.h"

namespace weft::coll {
namespace {

// A send completes once every chunk is in the receiver's FIFO (eager up to the FIFO's
// WEFT_SHM_SLOTS x WEFT_SHM_SLOT_BYTES, then paced by the receiver), as NCCL's does.
class P2pOp final : public Operation {
 public:
  P2pOp(const Context& ctx, const CollArgs& a)
      : prims_(ctx, nullptr, nullptr, a.dtype, a.op),
        transfer_(a.kind == CollKind::Send
                      ? Transfer{Prim::Send, &ctx.link(a.root), static_cast<const std::byte*>(a.send), nullptr, a.count, 0}
                      : Transfer{Prim::Recv, &ctx.link(a.root), nullptr, static_cast<std::byte*>(a.recv), a.count, 0}) {}

  Progress advance() override {
    const bool moved = transfer_.advance(prims_);
    if (transfer_.finished()) return Progress::Done;
    return moved ? Progress::Advanced : Progress::Blocked;
  }
  PeerSet blockedOn() const override { return prims_.blockedPeers(); }
  std::string waitingFor() const override { return prims_.waitingFor(); }

 private:
  Primitives prims_;
  Transfer transfer_;
};

template <CollKind K>
class P2p final : public Algorithm {
 public:
  std::string_view name() const override { return "p2p"; }
  CollKind kind() const override { return K; }
  bool supports(const CollArgs&, const Context&) const override { return true; }
  CostShape shape(int) const override { return {1, 1}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return std::make_unique<P2pOp>(ctx, args);  // never one rank: sending to oneself is refused
  }
};

}  // namespace

const Algorithm& p2pSend() {
  static const P2p<CollKind::Send> algo;
  return algo;
}

const Algorithm& p2pRecv() {
  static const P2p<CollKind::Recv> algo;
  return algo;
}

}  // namespace weft::coll
