// SPDX-License-Identifier: Apache-2.0
// The operation behind the logarithmic all-gathers: phases that each send a run of blocks of the
// output to one peer and receive another run from a (maybe different) peer, chunk by chunk.
#pragma once

#include <algorithm>
#include <array>
#include <cstring>
#include <string>

#include "collectives/operation.h"
#include "collectives/primitives.h"

namespace weft::coll {

// `blocks` consecutive blocks of the output from `first`, wrapping past the last block to block
// 0: at most two contiguous element ranges. Both ends of a transfer name the same blocks, so they
// cut the same ranges and, range by range, the same chunks.
struct BlockRun {
  int first = 0;
  int blocks = 0;
};

struct BlockPhase {
  transport::Endpoint* to = nullptr;
  transport::Endpoint* from = nullptr;
  BlockRun send;
  BlockRun recv;
};

class BlockExchangeOp : public Operation {
 public:
  static constexpr int kMaxPhases = 32;  // one per bit of an int rank count

  BlockExchangeOp(const Context& ctx, const CollArgs& a)
      : args_(a), prims_(ctx, nullptr, nullptr, a.dtype, a.op), size_(ctx.size),
        elem_(prims_.elementSize()) {
    // The own block goes to its place in the output first (in place, it is there already).
    auto* own = static_cast<std::byte*>(a.recv) + size_t(ctx.rank) * a.count * elem_;
    if (own != a.send && a.count > 0) std::memcpy(own, a.send, a.count * elem_);
  }

  Progress advance() final {
    bool advanced = false;
    while (phase_ < nPhases_) {
      const BlockPhase& ph = phases_[size_t(phase_)];
      advanced |= move(Prim::Send, ph.to, ph.send, sent_);
      advanced |= move(Prim::Recv, ph.from, ph.recv, received_);
      if (sent_ < total(ph.send) || received_ < total(ph.recv)) {
        return advanced ? Progress::Advanced : Progress::Blocked;
      }
      ++phase_;
      sent_ = received_ = 0;
    }
    return Progress::Done;
  }
  PeerSet blockedOn() const final { return prims_.blockedPeers(); }
  std::string waitingFor() const final {
    return prims_.waitingFor() + " (exchange " + std::to_string(phase_ + 1) + " of " + std::to_string(nPhases_) + ")";
  }

 protected:
  void addPhase(transport::Endpoint* to, BlockRun send, transport::Endpoint* from, BlockRun recv) {
    phases_[size_t(nPhases_++)] = BlockPhase{to, from, send, recv};
  }

 private:
  size_t total(BlockRun run) const { return size_t(run.blocks) * args_.count; }

  // Moves chunks of `run` from element `done` on while slots allow; whether any moved.
  bool move(Prim prim, transport::Endpoint* peer, BlockRun run, size_t& done) {
    auto* out = static_cast<std::byte*>(args_.recv);
    const size_t chunk = prims_.maxChunkElements();
    const size_t firstRange = size_t(std::min(run.blocks, size_ - run.first)) * args_.count;
    bool moved = false;
    while (done < total(run)) {
      // Element `done` of the run, in the range before the wrap or after it.
      const bool wrapped = done >= firstRange;
      const size_t at = wrapped ? done - firstRange : size_t(run.first) * args_.count + done;
      const size_t len = std::min(chunk, (wrapped ? total(run) : firstRange) - done);
      std::byte* p = out + at * elem_;
      if (!prims_.tryStepWith(prim, peer, peer, p, p, len)) break;
      done += len;
      moved = true;
    }
    return moved;
  }

  const CollArgs& args_;
  Primitives prims_;
  const int size_;
  const size_t elem_;
  std::array<BlockPhase, kMaxPhases> phases_{};
  int nPhases_ = 0;
  int phase_ = 0;
  size_t sent_ = 0, received_ = 0;
};

}  // namespace weft::coll
