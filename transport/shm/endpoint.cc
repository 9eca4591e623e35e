// SPDX-License-Identifier: Apache-2.0
// Producer and consumer halves of the slot FIFOs (Note [Slot FIFOs]).
#include "transport/shm/endpoint.h"

#include "common/error.h"

namespace weft::transport::shm {

std::byte* ShmEndpoint::trySendSlot() {
  if (sendHead_ - sendTailSeen_ >= slots_) {
    sendTailSeen_ = send_.ctl->tail.load(std::memory_order_acquire);
    if (sendHead_ - sendTailSeen_ >= slots_) return nullptr;
  }
  return send_.data + (sendHead_ % slots_) * slotBytes_;
}

void ShmEndpoint::postSend(size_t bytes) {
  WEFT_CHECK(bytes <= slotBytes_, "chunk larger than a slot");
  WEFT_CHECK(sendHead_ - sendTailSeen_ < slots_, "postSend without a free slot");
  send_.ctl->sizes[sendHead_ % slots_] = bytes;
  send_.ctl->head.store(++sendHead_, std::memory_order_release);
  send_.bell->ring();
}

const std::byte* ShmEndpoint::tryRecvSlot(size_t* bytes) {
  if (recvTail_ == recvHeadSeen_) {
    recvHeadSeen_ = recv_.ctl->head.load(std::memory_order_acquire);
    if (recvTail_ == recvHeadSeen_) return nullptr;
  }
  const size_t idx = recvTail_ % slots_;
  *bytes = recv_.ctl->sizes[idx];
  if (*bytes > slotBytes_) {
    throw RemoteError("rank " + std::to_string(peer_) + " posted a chunk of " +
                      std::to_string(*bytes) + " bytes into a slot of " + std::to_string(slotBytes_));
  }
  return recv_.data + idx * slotBytes_;
}

void ShmEndpoint::releaseRecv() {
  WEFT_CHECK(recvTail_ != recvHeadSeen_, "releaseRecv without a received chunk");
  recv_.ctl->tail.store(++recvTail_, std::memory_order_release);
  recv_.bell->ring();
}

}  // namespace weft::transport::shm
