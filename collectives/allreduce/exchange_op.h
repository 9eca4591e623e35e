// SPDX-License-Identifier: Apache-2.0
// The operation behind the all-reduces made of pairwise exchanges (halving-doubling, recursive
// doubling): a list of phases, each with one peer, sending one range of the buffer and receiving
// another, reduced into what is there or copied, chunk by chunk. The algorithms only plan phases.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "collectives/operation.h"
#include "collectives/patterns/halving_doubling.h"
#include "collectives/primitives.h"

namespace weft::coll {

// Everything happens in the receive buffer (the input is copied there first when out of place).
// When a reducing phase receives the very range it sends (recursive doubling), a chunk is reduced
// only after it was sent, so the peer gets the values from before the exchange, as this rank
// uses the peer's. Avg sums and divides once: the range `owned` after phase `divideAfter`.
class ExchangeOp final : public Operation {
 public:
  ExchangeOp(const Context& ctx, const CollArgs& a);

  void add(int peer, patterns::Range send, patterns::Range recv, bool reduce);
  // Avg: `owned` holds the full reduction once the phases added so far are done.
  void divideNow(patterns::Range owned) {
    owned_ = owned;
    divideAfter_ = nPhases_ - 1;
  }

  Progress advance() override;
  PeerSet blockedOn() const override { return prims_.blockedPeers(); }
  std::string waitingFor() const override {
    return prims_.waitingFor() + " (exchange " + std::to_string(phase_ + 1) + " of " + std::to_string(nPhases_) + ")";
  }

 private:
  struct Phase {
    transport::Endpoint* peer = nullptr;
    patterns::Range send;
    patterns::Range recv;
    bool reduce = false;
  };

  const Context& ctx_;
  const CollArgs& args_;
  Primitives prims_;
  const size_t elem_;
  std::array<Phase, 2 * 32 + 2> phases_{};
  int nPhases_ = 0;
  int phase_ = 0;
  int divideAfter_ = -1;  // avg: the fully reduced range `owned_` is divided after this phase
  patterns::Range owned_;
  size_t sent_ = 0, received_ = 0;
  FirstCopy input_;  // the input into the output, where everything happens
};

// Algorithm::start of an exchange-based all-reduce over the power-of-two core of
// patterns::HalvingDoubling: an extra (folded) rank hands its input to the rank after it and gets
// the result back; that rank reduces it in first and sends the result back last; in between,
// `core(op, hd, v, all)` adds the core's exchanges for virtual rank v (and says when avg divides).
template <class Core>
std::unique_ptr<Operation> startExchanges(const Context& ctx, const CollArgs& args, Core core) {
  if (ctx.size == 1) return std::make_unique<LocalCopyOp>(args);
  auto op = std::make_unique<ExchangeOp>(ctx, args);
  const patterns::HalvingDoubling hd(ctx.size);
  const int r = ctx.rank;
  const patterns::Range all{0, args.count};
  if (hd.folded(r)) {
    op->add(r + 1, all, {}, false);
    op->add(r + 1, {}, all, false);
    return op;
  }
  if (hd.absorbs(r)) op->add(r - 1, {}, all, true);
  core(*op, hd, hd.virtualRank(r), all);
  if (hd.absorbs(r)) op->add(r - 1, all, {}, false);
  return op;
}

}  // namespace weft::coll
