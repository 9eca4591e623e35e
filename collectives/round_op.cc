// SPDX-License-Identifier: Apache-2.0
// The round-by-round driver of RoundOp schedules.
#include "collectives/round_op.h"

#include "collectives/patterns/ring.h"

namespace weft::coll {

Progress RoundOp::advance() {
  bool advanced = false;
  while (round_ < rounds_) {
    const Step s = stepAt(round_, step_);
    if (s.count > 0) {
      const bool ok = s.to ? prims_.tryStepWith(s.prim, nullptr, s.to, s.src, s.dst, s.count)
                           : prims_.tryStep(s.prim, s.src, s.dst, s.count);
      if (!ok) return advanced ? Progress::Advanced : Progress::Blocked;
      if (s.copyLocal) prims_.copyToOutput(s.dst, s.src, s.count);
      advanced = true;
    }
    if (++step_ == steps_) {
      step_ = 0;
      ++round_;
    }
  }
  prims_.finish();
  // Chunks sent from caller memory must have left before the caller may touch it (Note [Direct sends]).
  if (!prims_.drained()) return advanced ? Progress::Advanced : Progress::Blocked;
  return Progress::Done;
}

std::string RoundOp::waitingFor() const {
  return prims_.waitingFor() + " (round " + std::to_string(round_ + 1) + " of " + std::to_string(rounds_) +
         ", step " + std::to_string(step_ + 1) + " of " + std::to_string(steps_) + ")";
}

PrimEnds ringEnds(const Context& ctx) {
  return {&ctx.link(patterns::ringPrev(ctx.rank, ctx.size)), &ctx.link(patterns::ringNext(ctx.rank, ctx.size))};
}

PrimEnds chainEnds(const Context& ctx, int first) {
  const int position = patterns::mod(ctx.rank - first, ctx.size);
  return {position == 0 ? nullptr : &ctx.link(patterns::ringPrev(ctx.rank, ctx.size)),
          position == ctx.size - 1 ? nullptr : &ctx.link(patterns::ringNext(ctx.rank, ctx.size))};
}

}  // namespace weft::coll
