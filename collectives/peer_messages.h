// SPDX-License-Identifier: Apache-2.0
// The small messages of the direct (single-copy) algorithms (Note [Direct all-reduce]): announce
// buffer addresses to every peer, do this rank's work, say ready, act on each peer's ready, then
// say done and wait until no peer reads this rank's buffers any more.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "collectives/algorithm.h"
#include "collectives/operation.h"

namespace weft::coll {

// The buffers a rank lends its peers for one call, as addresses in its process, with the shared
// buffers they lie in (Note [Shared buffers]), and whether every peer can load from them (each
// lies in a shared buffer, or every peer is a thread of this process).
struct PeerAddress {
  uint64_t send = 0;
  uint64_t recv = 0;
  transport::SharedRef sendShared;
  transport::SharedRef recvShared;
  bool loadable = false;

  // The addresses of `send` and `recv` (either may be null: not lent), looked up.
  static PeerAddress of(const Context& ctx, const void* send, const void* recv, size_t bytes);
};

// Loop-bound, like the operation that owns it. step() sends and receives what it can without
// blocking and stops where the caller has to act: Work once (then workDone()), PeerReady once
// per peer (its ready arrived: its output may be read), Finished at the end.
class PeerMessages {
 public:
  enum class Stage { Work, PeerReady, Finished };
  struct Step {
    Stage stage = Stage::Finished;
    int peer = -1;          // PeerReady: whose
    bool advanced = false;  // a message moved
    bool blocked = false;   // nothing to act on until a peer moves
  };

  // `readyRound` false: peers' buffers may be read as soon as their addresses are known (they
  // are inputs), so there is no ready message and PeerReady comes for every peer after Work.
  PeerMessages(const Context& ctx, const CollArgs& args, PeerAddress mine, bool readyRound = true);
  Step step();
  void workDone() { workDone_ = true; }
  const PeerAddress& addressOf(int peer) const { return peers_[size_t(peer)]; }
  // Once Work came: whether every rank's buffers are loadable by every peer (the same answer on
  // every rank, from what each announced).
  bool allLoadable() const { return allLoadable_; }
  // At Work, instead of working: ends the exchange here, with no further message (every rank
  // must do the same, as it will when they decide by allLoadable()).
  void abandon() { phase_ = Phase::Finished; }
  // At Work: no ready round for this call after all (every rank must decide alike, as from what
  // every rank announced); PeerReady then comes for every peer at once after Work.
  void skipReadyRound() { readyRound_ = false; }
  PeerSet blockedOn() const { return blockedSet_; }
  std::string waitingFor() const;

 private:
  enum class Phase { Announce, Learn, Work, Ready, Gather, Done, Drain, Finished };
  int peerAt(int i) const { return (ctx_.rank + 1 + i) % ctx_.size; }  // i-th peer, from the next rank on
  bool post(int peer, uint8_t tag);                       // false: no slot (blocked)
  bool receive(int peer, uint8_t tag);                    // false: not arrived (blocked)
  void check(int peer, const std::byte* m, size_t bytes, uint8_t tag);

  const Context& ctx_;
  const CollArgs& args_;
  const PeerAddress mine_;
  std::vector<PeerAddress> peers_;
  std::vector<bool> gathered_;
  Phase phase_ = Phase::Announce;
  int next_ = 0;          // peers done in the current phase
  bool workDone_ = false;
  bool allLoadable_;
  bool readyRound_;
  bool blockedOnSlot_ = false;
  PeerSet blockedSet_;  // the peer waitingFor() names first, then any other a gather waits for
};

// Note [Shared algorithms]
// The direct algorithms load peers' data where it lies. Where a peer's buffer is in a shared
// buffer (weftMemAlloc: Note [Shared buffers]) or the peer is a thread of this process, that is
// a plain load, and one copy of each byte beats the FIFO's two; elsewhere it is process_vm_readv,
// which may lose to the FIFO (it does on KVM guests, where it pins pages). Whether a call's
// buffers are loadable is known only to the rank that owns them, and every rank must run the
// same algorithm, so the "shared" algorithms decide after their announce round, from what every
// rank announced (PeerMessages::allLoadable, the same answer everywhere): go on as the direct
// algorithm, or stop the exchange there and run the call as Context::fallback, the algorithm
// chosen as if "shared" did not exist (when that is "direct", the exchange so far already is its
// start, and it goes on). The tuner picks "shared" where its measured time (with shared
// buffers) beats every other; a job that never uses shared buffers pays one round of small
// messages for it, which at those sizes is a few microseconds in milliseconds.
//
// PeerMessageOp is the operation of every direct and shared algorithm: it drives PeerMessages
// and calls its subclass at each stage; a shared one first hands the call off where it must.
class PeerMessageOp : public Operation {
 public:
  Progress advance() final;
  PeerSet blockedOn() const final;
  std::string waitingFor() const final;

 protected:
  // `shared`: a shared algorithm, which hands off unless every rank's buffers are loadable (or
  // ctx.fallback is `direct`, the direct algorithm of the collective, when there is one).
  PeerMessageOp(const Context& ctx, const CollArgs& args, PeerAddress mine, bool readyRound, bool shared,
                const Algorithm* direct)
      : ctx_(ctx), args_(args), msgs_(ctx, args, mine, readyRound), shared_(shared), direct_(direct) {}
  virtual void work() = 0;               // at Work, once
  virtual void peerReady(int peer) = 0;  // at PeerReady, once per peer
  virtual void finished() {}             // at Finished, once
  bool shared() const { return shared_; }

  const Context& ctx_;
  const CollArgs& args_;
  PeerMessages msgs_;

 private:
  bool handOff();  // at Work: true when the call now runs as ctx.fallback

  const bool shared_;
  const Algorithm* const direct_;
  std::unique_ptr<Operation> handedTo_;
};

// A buffer of at least `bytes` for this thread, kept and already touched across calls (the first
// touch of a page costs ~12 us on some VMs, more than copying it).
std::byte* threadScratch(size_t bytes);

}  // namespace weft::coll
