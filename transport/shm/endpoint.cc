// SPDX-License-Identifier: Apache-2.0
// Producer and consumer halves of the slot FIFOs (Note [Slot FIFOs]).
#include "transport/shm/endpoint.h"

#include <cstring>

#include "common/error.h"

namespace weft::transport::shm {

std::byte* ShmEndpoint::trySendSlot() {
  if (sendHead_ - sendTailSeen_ >= slots_) {
    sendTailSeen_ = send_.ctl->tail.load(std::memory_order_acquire);
    if (sendHead_ - sendTailSeen_ >= slots_) return nullptr;
  }
  return send_.data + (sendHead_ % slots_) * slotBytes_;
}

void ShmEndpoint::publish(SlotHeader& h, size_t bytes, Stamp stamp) {
  h.bytes = bytes;
  h.stamp[0] = stamp.lo;
  h.stamp[1] = stamp.hi;
  h.seq.store(++sendHead_, std::memory_order_release);
  send_.bell->ring();
}

void ShmEndpoint::postSend(size_t bytes, Stamp stamp) {
  WEFT_CHECK(bytes <= slotBytes_, "chunk larger than a slot");
  WEFT_CHECK(sendHead_ - sendTailSeen_ < slots_, "postSend without a free slot");
  const size_t idx = sendHead_ % slots_;
  SlotHeader& h = send_.ctl->slot[idx];
  if (bytes <= kInlineBytes) std::memcpy(h.inlined, send_.data + idx * slotBytes_, bytes);
  publish(h, bytes, stamp);
}

void ShmEndpoint::postSendFrom(const std::byte* src, size_t bytes, Stamp stamp) {
  WEFT_CHECK(bytes <= slotBytes_, "chunk larger than a slot");
  WEFT_CHECK(sendHead_ - sendTailSeen_ < slots_, "postSendFrom without a free slot");
  const size_t idx = sendHead_ % slots_;
  SlotHeader& h = send_.ctl->slot[idx];
  std::memcpy(bytes <= kInlineBytes ? h.inlined : send_.data + idx * slotBytes_, src, bytes);
  publish(h, bytes, stamp);
}

const std::byte* ShmEndpoint::tryRecvSlot(size_t* bytes) {
  const size_t idx = recvTail_ % slots_;
  const SlotHeader& h = recv_.ctl->slot[idx];
  if (h.seq.load(std::memory_order_acquire) != recvTail_ + 1) return nullptr;
  *bytes = h.bytes;
  if (*bytes > slotBytes_) {
    throw RemoteError("rank " + std::to_string(peer_) + " posted a chunk of " +
                      std::to_string(*bytes) + " bytes into a slot of " + std::to_string(slotBytes_),
                      peer_);
  }
  recvStamp_ = Stamp{h.stamp[0], h.stamp[1]};
  recvReady_ = *bytes <= kInlineBytes ? h.inlined : recv_.data + idx * slotBytes_;
  return recvReady_;
}

void ShmEndpoint::releaseRecv() {
  WEFT_CHECK(recvReady_ != nullptr, "releaseRecv without a received chunk");
  recvReady_ = nullptr;
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
