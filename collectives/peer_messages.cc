// SPDX-License-Identifier: Apache-2.0
// The direct algorithms' message protocol and scratch buffer.
#include "collectives/peer_messages.h"

#include <cstring>
#include <memory>

#include "collectives/signature.h"
#include "common/error.h"
#include "common/log.h"

namespace weft::coll {
namespace {

constexpr uint8_t kAnnounce = 1, kReady = 2, kDone = 3;
constexpr uint8_t kLoadable = 0x80;  // in Message::tag: the sender's buffers are loadable

// The call's signature travels as the message's stamp (Note [Signatures]).
struct Message {
  uint32_t tag;  // kAnnounce, kReady or kDone, | kLoadable
  uint32_t reserved;
  uint64_t send;
  uint64_t recv;
  int32_t sendFd;
  uint32_t sendSerial;
  int32_t recvFd;
  uint32_t recvSerial;
};
static_assert(sizeof(Message) == 40);

const char* tagName(uint8_t tag) { return tag == kAnnounce ? "announce" : tag == kReady ? "ready" : "done"; }

}  // namespace

PeerMessages::PeerMessages(const Context& ctx, const CollArgs& args, PeerAddress mine, bool readyRound)
    : ctx_(ctx), args_(args), mine_(mine), peers_(size_t(ctx.size)), gathered_(size_t(ctx.size), false),
      allLoadable_(mine.loadable), readyRound_(readyRound) {}

PeerAddress PeerAddress::of(const Context& ctx, const void* send, const void* recv, size_t bytes) {
  bool allThreads = true;
  for (int p = 0; p < ctx.size; ++p) {
    if (p != ctx.rank && !ctx.link(p).sharesAddressSpace()) allThreads = false;
  }
  PeerAddress a{reinterpret_cast<uint64_t>(send), reinterpret_cast<uint64_t>(recv), {}, {}, true};
  if (send) a.sendShared = transport::findShared(send, bytes);
  if (recv) a.recvShared = send == recv ? a.sendShared : transport::findShared(recv, bytes);
  a.loadable = allThreads || ((!send || a.sendShared) && (!recv || a.recvShared));
  return a;
}

bool PeerMessages::post(int peer, uint8_t tag) {
  transport::Endpoint& link = ctx_.link(peer);
  std::byte* slot = link.trySendSlot(sizeof(Message));
  if (!slot) {
    blockedOnSlot_ = true;
    blockedSet_ = PeerSet::of(peer);
    return false;
  }
  Message m{uint32_t(tag | (mine_.loadable ? kLoadable : 0)),
            0,
            mine_.send,
            mine_.recv,
            mine_.sendShared.fd,
            mine_.sendShared.serial,
            mine_.recvShared.fd,
            mine_.recvShared.serial};
  std::memcpy(slot, &m, sizeof(m));
  link.postSend(sizeof(m), ctx_.stamp);
  return true;
}

void PeerMessages::check(int peer, const std::byte* data, size_t bytes, uint8_t tag) {
  Message m;
  if (bytes != sizeof(m)) {
    throw RemoteError(describe(args_) + ": rank " + std::to_string(peer) + " sent a message of " + std::to_string(bytes) +
                      " bytes where this rank expected its " + tagName(tag) + " (" + std::to_string(sizeof(m)) +
                      " bytes); did the ranks call different collectives?",
                      peer);
  }
  std::memcpy(&m, data, sizeof(m));
  const bool loadable = (m.tag & kLoadable) != 0;
  if ((m.tag & ~kLoadable) != tag) {
    throw RemoteError(describe(args_) + ": rank " + std::to_string(peer) + " sent its " + tagName(uint8_t(m.tag & ~kLoadable)) +
                      " message where this rank expected its " + tagName(tag) + " (corrupted or misrouted)",
                      peer);
  }
  if (tag == kAnnounce) {
    peers_[size_t(peer)] = {m.send, m.recv, {m.sendFd, m.sendSerial}, {m.recvFd, m.recvSerial}, loadable};
    allLoadable_ = allLoadable_ && loadable;
  }
}

bool PeerMessages::receive(int peer, uint8_t tag) {
  transport::Endpoint& link = ctx_.link(peer);
  size_t bytes = 0;
  const std::byte* data = link.tryRecvSlot(&bytes);
  if (!data) {
    blockedOnSlot_ = false;
    blockedSet_ = PeerSet::of(peer);
    return false;
  }
  checkStamp(ctx_.checkStamps, ctx_.stamp, ctx_.rank, link);
  check(peer, data, bytes, tag);
  link.releaseRecv();
  return true;
}

PeerMessages::Step PeerMessages::step() {
  Step s;
  const int peers = ctx_.size - 1;
  auto finishPhase = [&](Phase next) {
    phase_ = next;
    next_ = 0;
  };
  for (;;) {
    switch (phase_) {
      case Phase::Announce:
      case Phase::Ready:
      case Phase::Done: {
        const uint8_t tag = phase_ == Phase::Announce ? kAnnounce : phase_ == Phase::Ready ? kReady : kDone;
        for (; next_ < peers; ++next_, s.advanced = true) {
          if (!post(peerAt(next_), tag)) {
            s.blocked = true;
            return s;
          }
        }
        finishPhase(phase_ == Phase::Announce ? Phase::Learn : phase_ == Phase::Ready ? Phase::Gather : Phase::Drain);
        break;
      }
      case Phase::Learn:
      case Phase::Drain:
        for (; next_ < peers; ++next_, s.advanced = true) {
          if (!receive(peerAt(next_), phase_ == Phase::Learn ? kAnnounce : kDone)) {
            s.blocked = true;
            return s;
          }
        }
        finishPhase(phase_ == Phase::Learn ? Phase::Work : Phase::Finished);
        break;
      case Phase::Work:
        if (!workDone_) {
          s.stage = Stage::Work;
          return s;
        }
        finishPhase(readyRound_ ? Phase::Ready : Phase::Gather);
        break;
      case Phase::Gather: {
        // Whichever peer is ready first, not in a fixed order: with more ranks than cores the
        // next one in order may not have run yet.
        if (next_ == peers) {
          finishPhase(Phase::Done);
          break;
        }
        PeerSet all;  // every peer not ready yet, the first named: a dead one among them is noticed (Note [Stalled peers])
        for (int i = 0; i < peers; ++i) {
          const int p = peerAt(i);
          if (gathered_[size_t(p)]) continue;
          if (!readyRound_ || receive(p, kReady)) {
            gathered_[size_t(p)] = true;
            ++next_;
            s.advanced = true;
            s.stage = Stage::PeerReady;
            s.peer = p;
            return s;
          }
          all.add(p);
        }
        blockedOnSlot_ = false;
        blockedSet_ = all;
        s.blocked = true;
        return s;
      }
      case Phase::Finished:
        s.stage = Stage::Finished;
        return s;
    }
  }
}

std::string PeerMessages::waitingFor() const {
  if (blockedSet_.empty()) return "nothing";
  const std::string who = "rank " + std::to_string(blockedSet_.first());
  if (blockedOnSlot_) return "a free slot at " + who + " (it has not consumed earlier messages)";
  switch (phase_) {
    case Phase::Learn: return who + "'s buffer addresses";
    case Phase::Gather: return who + " to finish its segment";
    case Phase::Drain: return who + " to finish reading this rank's buffers";
    default: return "a message from " + who;
  }
}

bool PeerMessageOp::handOff() {
  if (!shared_ || msgs_.allLoadable() || !ctx_.fallback || ctx_.fallback == direct_) return false;
  msgs_.abandon();
  WEFT_LOG(Info, "%s: not every rank's buffers are shared: runs as %s", describe(args_).c_str(),
           std::string(ctx_.fallback->name()).c_str());
  handedTo_ = ctx_.fallback->start(ctx_, args_);
  return true;
}

Progress PeerMessageOp::advance() {
  if (handedTo_) return handedTo_->advance();
  bool advanced = false;
  for (;;) {
    const PeerMessages::Step s = msgs_.step();
    advanced = advanced || s.advanced;
    if (s.blocked) return advanced ? Progress::Advanced : Progress::Blocked;
    switch (s.stage) {
      case PeerMessages::Stage::Work:
        if (handOff()) {
          const Progress p = handedTo_->advance();
          return p == Progress::Blocked && advanced ? Progress::Advanced : p;
        }
        work();
        msgs_.workDone();
        advanced = true;
        break;
      case PeerMessages::Stage::PeerReady:
        peerReady(s.peer);
        advanced = true;
        break;
      case PeerMessages::Stage::Finished:
        finished();
        return Progress::Done;
    }
  }
}

PeerSet PeerMessageOp::blockedOn() const { return handedTo_ ? handedTo_->blockedOn() : msgs_.blockedOn(); }

std::string PeerMessageOp::waitingFor() const { return handedTo_ ? handedTo_->waitingFor() : msgs_.waitingFor(); }

std::byte* threadScratch(size_t bytes) {
  struct Scratch {
    std::unique_ptr<std::byte[]> data;
    size_t bytes = 0;
  };
  thread_local Scratch t;
  if (t.bytes < bytes) {
    t.data = std::make_unique<std::byte[]>(bytes);  // value-initialized: every page touched now
    t.bytes = bytes;
  }
  return t.data.get();
}

}  // namespace weft::coll
