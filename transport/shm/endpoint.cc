// SPDX-License-Identifier: Apache-2.0
// Producer and consumer halves of the slot FIFOs (Note [Slot FIFOs]).
#include "transport/shm/endpoint.h"

#include <cstring>

#include "common/error.h"

namespace weft::transport::shm {

namespace {

uint64_t lineUp(size_t bytes) { return roundUp(bytes, 64); }

}  // namespace

std::byte* ShmEndpoint::trySendSlot(size_t bytes) {
  WEFT_CHECK(bytes <= slotBytes_, "chunk larger than a slot");
  if (sendHead_ - sendTailSeen_ >= kHeaders) {
    sendTailSeen_ = send_.ctl->tail.load(std::memory_order_acquire);
    if (sendHead_ - sendTailSeen_ >= kHeaders) return nullptr;
  }
  if (bytes <= kInlineBytes) {
    pendingKind_ = Pending::Inline;
    return sendHeader().inlined;
  }
  // Note [Slot FIFOs]: the next lines of the data ring, or its start if they would wrap.
  DataPlace at = sendPos_;
  if (at.offset + lineUp(bytes) > ringBytes_) at = {at.start + (ringBytes_ - at.offset), 0};
  if (at.start + lineUp(bytes) - sendTailPosSeen_ > ringBytes_) {
    sendTailPosSeen_ = send_.ctl->tailPos.load(std::memory_order_acquire);
    if (at.start + lineUp(bytes) - sendTailPosSeen_ > ringBytes_) return nullptr;
  }
  pendingKind_ = Pending::Data;
  pending_ = at;
  pendingBytes_ = bytes;
  return placedData();
}

void ShmEndpoint::checkRoom(size_t bytes) const {
  WEFT_CHECK(pendingKind_ != Pending::None, "a post without a slot from trySendSlot");
  WEFT_CHECK(bytes <= kInlineBytes || (pendingKind_ == Pending::Data && bytes <= pendingBytes_),
             "a message larger than the slot trySendSlot gave");
}

void ShmEndpoint::publish(SlotHeader& h, size_t bytes, Stamp stamp) {
  if (bytes > kInlineBytes) {
    h.place = pending_;
    const uint64_t used = lineUp(bytes);
    sendPos_ = {pending_.start + used, pending_.offset + used == ringBytes_ ? 0 : pending_.offset + used};
  }
  pendingKind_ = Pending::None;
  h.bytes = bytes;
  h.stamp[0] = stamp.lo;
  h.stamp[1] = stamp.hi;
  h.seq.store(++sendHead_, std::memory_order_release);
  send_.bell->ring();
}

void ShmEndpoint::postSend(size_t bytes, Stamp stamp) {
  checkRoom(bytes);
  SlotHeader& h = sendHeader();
  // A slot asked for as large but filled with a small message: the message goes inline.
  if (bytes <= kInlineBytes && pendingKind_ == Pending::Data) std::memcpy(h.inlined, placedData(), bytes);
  publish(h, bytes, stamp);
}

void ShmEndpoint::postSendFrom(const std::byte* src, size_t bytes, Stamp stamp) {
  checkRoom(bytes);
  SlotHeader& h = sendHeader();
  std::memcpy(bytes <= kInlineBytes ? h.inlined : placedData(), src, bytes);
  publish(h, bytes, stamp);
}

const std::byte* ShmEndpoint::tryRecvSlot(size_t* bytes) {
  const SlotHeader& h = recv_.ctl->slot[recvTail_ % kHeaders];
  if (h.seq.load(std::memory_order_acquire) != recvTail_ + 1) return nullptr;
  *bytes = h.bytes;
  if (*bytes > slotBytes_) {
    throw RemoteError("rank " + std::to_string(peer_) + " posted a chunk of " +
                      std::to_string(*bytes) + " bytes into a slot of " + std::to_string(slotBytes_),
                      peer_);
  }
  recvStamp_ = Stamp{h.stamp[0], h.stamp[1]};
  if (*bytes <= kInlineBytes) {
    recvEnd_ = 0;
    recvReady_ = h.inlined;
  } else {
    const DataPlace at = h.place;
    if (at.offset + *bytes > ringBytes_ || at.start < recv_.ctl->tailPos.load(std::memory_order_relaxed)) {
      throw RemoteError("rank " + std::to_string(peer_) + " placed a chunk of " + std::to_string(*bytes) +
                        " bytes at " + std::to_string(at.offset) + " of a ring of " + std::to_string(ringBytes_) +
                        " bytes, or behind what was released", peer_);
    }
    recvEnd_ = at.start + lineUp(*bytes);
    recvReady_ = recv_.data + at.offset;
  }
  return recvReady_;
}

void ShmEndpoint::releaseRecv() {
  WEFT_CHECK(recvReady_ != nullptr, "releaseRecv without a received chunk");
  recvReady_ = nullptr;
  if (recvEnd_ != 0) recv_.ctl->tailPos.store(recvEnd_, std::memory_order_release);
  recv_.ctl->tail.store(++recvTail_, std::memory_order_release);
  recv_.bell->ring();
}

void ShmEndpoint::readPeer(uint64_t remote, void* dst, size_t bytes) {
  WEFT_CHECK(canReadPeer(), "readPeer on a link without peer reads");
  if (reads_.how == PeerReads::SameProcess) {
    std::memcpy(dst, reinterpret_cast<const void*>(remote), bytes);
    return;
  }
  readCross(reads_.pid, peer_, remote, dst, bytes);
}

void ShmEndpoint::writePeer(uint64_t remote, const void* src, size_t bytes) {
  WEFT_CHECK(canReadPeer(), "writePeer on a link without peer reads");
  if (reads_.how == PeerReads::SameProcess) {
    std::memcpy(reinterpret_cast<void*>(remote), src, bytes);
    return;
  }
  writeCross(reads_.pid, peer_, remote, src, bytes);
}

}  // namespace weft::transport::shm
