// SPDX-License-Identifier: Apache-2.0
// The phases of the exchange-based all-reduces, advanced without blocking.
#include "collectives/allreduce/exchange_op.h"

#include <algorithm>

#include "collectives/kernels/reduce.h"

namespace weft::coll {

ExchangeOp::ExchangeOp(const Context& ctx, const CollArgs& a)
    : ctx_(ctx), args_(a),
      // Avg sums here and divides once: RecvReduceCopy would divide at every step.
      prims_(ctx, nullptr, nullptr, a.dtype, a.op == ReduceOp::Avg ? ReduceOp::Sum : a.op),
      elem_(prims_.elementSize()), input_{a.recv, a.send, a.count * elem_} {}

void ExchangeOp::add(int peer, patterns::Range send, patterns::Range recv, bool reduce) {
  phases_[size_t(nPhases_++)] = Phase{&ctx_.link(peer), send, recv, reduce};
}

Progress ExchangeOp::advance() {
  bool advanced = input_.run();
  auto* buf = static_cast<std::byte*>(args_.recv);
  const size_t chunk = prims_.maxChunkElements();
  while (phase_ < nPhases_) {
    const Phase& ph = phases_[size_t(phase_)];
    while (sent_ < ph.send.length()) {
      const size_t len = std::min(chunk, ph.send.length() - sent_);
      if (!prims_.tryStepWith(Prim::Send, nullptr, ph.peer, buf + (ph.send.begin + sent_) * elem_, nullptr, len)) break;
      sent_ += len;
      advanced = true;
    }
    // Reducing into the range being sent: only what has left (its old values are the peer's).
    const bool sameRange = ph.reduce && ph.send.begin == ph.recv.begin && ph.send.end == ph.recv.end;
    const size_t limit = sameRange ? std::min(sent_, ph.recv.length()) : ph.recv.length();
    while (received_ < limit) {
      const size_t len = std::min(chunk, ph.recv.length() - received_);
      std::byte* at = buf + (ph.recv.begin + received_) * elem_;
      if (!prims_.tryStepWith(ph.reduce ? Prim::RecvReduceCopy : Prim::Recv, ph.peer, nullptr, at, at, len)) break;
      received_ += len;
      advanced = true;
    }
    if (sent_ < ph.send.length() || received_ < ph.recv.length()) {
      return advanced ? Progress::Advanced : Progress::Blocked;
    }
    if (phase_ == divideAfter_ && args_.op == ReduceOp::Avg) {
      reduce::divide(args_.dtype, buf + owned_.begin * elem_, owned_.length(), ctx_.size);
    }
    ++phase_;
    sent_ = received_ = 0;
  }
  return Progress::Done;
}

}  // namespace weft::coll
