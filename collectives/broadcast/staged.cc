// SPDX-License-Identifier: Apache-2.0
// Staged broadcast on one host: the root copies each chunk once into a buffer its peers can map,
// and every other rank copies it out from there (Note [Staged broadcast]).
#include <cstring>
#include <vector>

#include "collectives/kernels/copy.h"
#include "collectives/operation.h"
#include "collectives/peer_messages.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"
#include "collectives/signature.h"
#include "collectives/staging.h"
#include "common/error.h"
#include "common/log.h"

namespace weft::coll {

// Note [Staged broadcast]
// A chain or tree broadcast through the FIFOs copies every byte twice per hop (into the slot,
// out of it), and a rank that forwards copies it out twice more: with 4 ranks that is 6 copies
// of the message, all on the 2 cores of a small machine. Here the root copies each chunk once
// into its staging buffer (collectives/staging.h, a shared buffer every peer on the host maps)
// and every receiver copies it once into its output, n copies in all, the receivers' at the
// same time and from the same cache lines, which are still in the shared cache. The FIFOs carry
// only small messages: "chunk i is at address a of shared buffer r" from the root to each
// receiver, and "chunk i taken" back, after which the root may reuse its slot; with kSlots
// slots in the ring the root runs at most that many chunks ahead of the slowest receiver. The
// root leaves the call once every receiver took every chunk (so the next call starts with the
// ring free and no message of this one left on a link).
// Where the root's buffer is loadable by its peers already (a shared buffer, or thread ranks),
// the chunks are announced where they lie and the root copies nothing; where the kernel refused
// the staging buffer, they are announced where they lie too, and receivers read them with
// process_vm_readv (Note [Peer reads]): slower, still correct.
namespace {

// A chunk is copied out by every receiver while the root stages the next ones; of 32-256 KiB x
// 4, 8 and 16 slots, 128 KiB x 16 was among the fastest at every size here (4 ranks, 128 KiB-32
// MiB, two sweeps), and the ring (2 MiB) stays in the shared cache.
constexpr size_t kChunkBytes = size_t(128) << 10;
constexpr uint32_t kSlots = 16;
constexpr uint32_t kStaged = 0x53544731, kTaken = 0x54414b31;  // "1GTS", "1KAT"

struct StageMessage {
  uint32_t tag;    // kStaged or kTaken
  uint32_t index;  // of the chunk
  uint64_t addr;   // kStaged: the root's address of the chunk
  int32_t fd;      // kStaged: the shared buffer it lies in (Note [Shared buffers]), or none
  uint32_t serial;
};
static_assert(sizeof(StageMessage) == 24);

class StagedBroadcastOp final : public Operation {
 public:
  StagedBroadcastOp(const Context& ctx, const CollArgs& a)
      : ctx_(ctx), args_(a), bytes_(a.count * dtypeSize(a.dtype)),
        chunks_(uint32_t((bytes_ + kChunkBytes - 1) / kChunkBytes)),
        streaming_(a.send != a.recv && bytes_ >= Primitives::kStreamingBytes) {
    if (ctx.rank != a.root) return;
    posted_.assign(size_t(ctx.size), 0);
    taken_.assign(size_t(ctx.size), 0);
    const PeerAddress mine = PeerAddress::of(ctx, a.send, nullptr, bytes_);
    sourceRef_ = mine.sendShared;
    if (!mine.loadable) {
      staging_ = ctx.staging->get(kChunkBytes * kSlots);
      sourceRef_ = ctx.staging->ref();  // none when refused: peers read the send buffer with readPeer
    }
  }

  Progress advance() override { return ctx_.rank == args_.root ? advanceRoot() : advanceReceiver(); }
  PeerSet blockedOn() const override { return blocked_; }
  std::string waitingFor() const override;

 private:
  size_t length(uint32_t i) const { return std::min(kChunkBytes, bytes_ - size_t(i) * kChunkBytes); }
  Progress advanceRoot();
  Progress advanceReceiver();
  bool post(int peer, const StageMessage& m);
  // The next message from `peer`, checked to be `tag` for chunk `index`; false: none yet.
  bool receive(int peer, uint32_t tag, uint32_t index, StageMessage* m);
  uint32_t leastTaken() const;

  const Context& ctx_;
  const CollArgs& args_;
  const size_t bytes_;
  const uint32_t chunks_;
  const bool streaming_;
  // Root: the staging ring (null: the chunks are announced in the send buffer itself) and the
  // shared buffer they lie in; per peer, how many were announced and taken; how many were staged
  // and copied to its own output.
  std::byte* staging_ = nullptr;
  transport::SharedRef sourceRef_;
  std::vector<uint32_t> posted_, taken_;
  uint32_t staged_ = 0, copied_ = 0;
  // Receiver: chunks received; whether the last one's "taken" is still to be posted.
  uint32_t received_ = 0;
  bool takenOwed_ = false;
  bool blockedOnSlot_ = false;
  PeerSet blocked_;
};

bool StagedBroadcastOp::post(int peer, const StageMessage& m) {
  transport::Endpoint& link = ctx_.link(peer);
  std::byte* slot = link.trySendSlot(sizeof(m));
  if (!slot) return false;
  std::memcpy(slot, &m, sizeof(m));
  link.postSend(sizeof(m), ctx_.stamp);
  return true;
}

bool StagedBroadcastOp::receive(int peer, uint32_t tag, uint32_t index, StageMessage* m) {
  transport::Endpoint& link = ctx_.link(peer);
  size_t bytes = 0;
  const std::byte* data = link.tryRecvSlot(&bytes);
  if (!data) return false;
  checkStamp(ctx_.checkStamps, ctx_.stamp, ctx_.rank, link);
  if (bytes != sizeof(*m)) {
    throw RemoteError(describe(args_) + ": rank " + std::to_string(peer) + " sent a message of " + std::to_string(bytes) +
                      " bytes where this rank expected a staged-broadcast message of " + std::to_string(sizeof(*m)) +
                      "; did the ranks call different collectives?",
                      peer);
  }
  std::memcpy(m, data, sizeof(*m));
  link.releaseRecv();
  if (m->tag != tag || m->index != index) {
    throw RemoteError(describe(args_) + ": rank " + std::to_string(peer) + " sent " +
                      (m->tag == kStaged ? "chunk " : m->tag == kTaken ? "taken " : "an unknown message ") +
                      std::to_string(m->index) + " where this rank expected " + (tag == kStaged ? "chunk " : "taken ") +
                      std::to_string(index) + " (corrupted or misrouted)",
                      peer);
  }
  return true;
}

uint32_t StagedBroadcastOp::leastTaken() const {
  uint32_t least = chunks_;
  for (int p = 0; p < ctx_.size; ++p) {
    if (p != args_.root) least = std::min(least, taken_[size_t(p)]);
  }
  return least;
}

Progress StagedBroadcastOp::advanceRoot() {
  const auto* send = static_cast<const std::byte*>(args_.send);
  bool moved = false;
  for (;;) {
    bool step = false;
    blockedOnSlot_ = false;
    blocked_ = {};
    for (int p = 0; p < ctx_.size; ++p) {
      if (p == args_.root) continue;
      const size_t i = size_t(p);
      StageMessage m;
      while (taken_[i] < posted_[i] && receive(p, kTaken, taken_[i], &m)) ++taken_[i], step = true;
      while (posted_[i] < staged_) {
        const uint32_t c = posted_[i];
        const std::byte* at = staging_ ? staging_ + (c % kSlots) * kChunkBytes : send + size_t(c) * kChunkBytes;
        if (!post(p, {kStaged, c, reinterpret_cast<uint64_t>(at), sourceRef_.fd, sourceRef_.serial})) {
          if (!blockedOnSlot_) blocked_ = {};
          blockedOnSlot_ = true;
          blocked_.add(p);
          break;
        }
        ++posted_[i], step = true;
      }
      if (!blockedOnSlot_ && taken_[i] < posted_[i]) blocked_.add(p);
    }
    if (copied_ < staged_) {  // the root's own output, while the chunk is in its cache
      const size_t off = size_t(copied_) * kChunkBytes;
      if (args_.send != args_.recv) copyOut(static_cast<std::byte*>(args_.recv) + off, send + off, length(copied_), streaming_);
      ++copied_;
      step = true;
    } else if (staged_ < chunks_ && staged_ < leastTaken() + kSlots) {
      if (staging_) {
        const size_t off = size_t(staged_) * kChunkBytes;
        std::memcpy(staging_ + (staged_ % kSlots) * kChunkBytes, send + off, length(staged_));
      }
      ++staged_;
      step = true;
    } else if (copied_ == chunks_ && leastTaken() == chunks_) {
      if (streaming_) streamingFence();
      return Progress::Done;
    }
    if (!step) return moved ? Progress::Advanced : Progress::Blocked;
    moved = true;
  }
}

Progress StagedBroadcastOp::advanceReceiver() {
  const int root = args_.root;
  transport::Endpoint& link = ctx_.link(root);
  bool moved = false;
  blocked_ = PeerSet::of(root);
  for (;;) {
    if (takenOwed_) {
      blockedOnSlot_ = true;
      if (!post(root, {kTaken, received_ - 1, 0, -1, 0})) return moved ? Progress::Advanced : Progress::Blocked;
      takenOwed_ = false;
      moved = true;
      if (received_ == chunks_) {
        if (streaming_) streamingFence();
        return Progress::Done;
      }
    }
    blockedOnSlot_ = false;
    StageMessage m;
    if (!receive(root, kStaged, received_, &m)) return moved ? Progress::Advanced : Progress::Blocked;
    const size_t len = length(received_);
    std::byte* dst = static_cast<std::byte*>(args_.recv) + size_t(received_) * kChunkBytes;
    if (const std::byte* theirs = link.peerPointer(m.addr, len, {m.fd, m.serial})) {
      copyOut(dst, theirs, len, streaming_);
    } else {
      if (received_ == 0) WEFT_LOG(Info, "%s: reads the root's chunks with process_vm_readv", describe(args_).c_str());
      link.readPeer(m.addr, dst, len);
    }
    ++received_;
    takenOwed_ = true;
    moved = true;
  }
}

std::string StagedBroadcastOp::waitingFor() const {
  if (blocked_.empty()) return "nothing";
  const std::string who = "rank " + std::to_string(blocked_.first());
  if (blockedOnSlot_) return "a free slot at " + who + " (it has not consumed earlier messages)";
  if (ctx_.rank == args_.root) {
    return who + " to take chunk " + std::to_string(taken_[size_t(blocked_.first())]) + " of " + std::to_string(chunks_);
  }
  return "chunk " + std::to_string(received_) + " of " + std::to_string(chunks_) + " from the root, " + who;
}

class StagedBroadcast final : public Algorithm {
 public:
  std::string_view name() const override { return "staged"; }
  CollKind kind() const override { return CollKind::Broadcast; }
  bool supports(const CollArgs&, const Context& ctx) const override { return ctx.peerReads && ctx.staging; }
  // Two messages per chunk between the root and every peer; every rank copies the message once.
  CostShape shape(int n) const override { return {2.0 * (n - 1), 1}; }
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startOperation<StagedBroadcastOp>(ctx, args);
  }
};

}  // namespace

const Algorithm& stagedBroadcast() {
  static const StagedBroadcast algo;
  return algo;
}

}  // namespace weft::coll
