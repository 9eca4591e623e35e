// SPDX-License-Identifier: Apache-2.0
// The shared-memory Endpoint: our FIFO in the peer's segment (send) and its FIFO in ours (receive).
#pragma once

#include "transport/shm/fifo.h"
#include "transport/shm/peer_maps.h"
#include "transport/shm/peer_reads.h"
#include "transport/transport.h"

namespace weft::transport::shm {

// Loop-bound. Holds raw pointers into two segments owned by the ShmTransport that made it; the
// communicator destroys endpoints before their transport, which keeps them valid.
class ShmEndpoint final : public Endpoint {
 public:
  struct Side {
    FifoCtl* ctl;      // control block of the FIFO
    std::byte* data;   // its slots
    Doorbell* bell;    // doorbell of the rank on the other side of this FIFO
  };
  struct Reads {
    PeerReads how;
    pid_t pid;  // the peer's process
  };
  ShmEndpoint(int peer, uint32_t slots, size_t slotBytes, Side send, Side recv, Reads reads)
      : peer_(peer), slots_(slots), slotBytes_(slotBytes), send_(send), recv_(recv), reads_(reads), maps_(peer, reads.pid) {}

  int peer() const override { return peer_; }
  size_t slotBytes() const override { return slotBytes_; }
  std::byte* trySendSlot() override;
  void postSend(size_t bytes, Stamp stamp) override;
  void postSendFrom(const std::byte* src, size_t bytes, Stamp stamp) override;
  const std::byte* tryRecvSlot(size_t* bytes) override;
  Stamp recvStamp() const override { return recvStamp_; }
  void releaseRecv() override;
  bool canReadPeer() const override { return reads_.how != PeerReads::None; }
  bool sharesAddressSpace() const override { return reads_.how == PeerReads::SameProcess; }
  void readPeer(uint64_t remote, void* dst, size_t bytes) override;
  void writePeer(uint64_t remote, const void* src, size_t bytes) override;
  std::byte* peerPointer(uint64_t remote, size_t bytes, SharedRef where) override {
    if (reads_.how == PeerReads::SameProcess) return reinterpret_cast<std::byte*>(remote);
    return reads_.how == PeerReads::Cross ? maps_.find(where, remote, bytes) : nullptr;
  }

 private:
  const int peer_;
  const uint32_t slots_;
  const size_t slotBytes_;
  Side send_;
  Side recv_;
  const Reads reads_;
  PeerMaps maps_;  // the peer's shared buffers this rank has loaded from
  void publish(SlotHeader& h, size_t bytes, Stamp stamp);

  uint64_t sendHead_ = 0;      // chunks we posted
  uint64_t sendTailSeen_ = 0;  // last value of send_.ctl->tail we read
  uint64_t recvTail_ = 0;      // our copy of recv_.ctl->tail
  const std::byte* recvReady_ = nullptr;  // the chunk tryRecvSlot returned, until released
  Stamp recvStamp_;                       // and its stamp
};

}  // namespace weft::transport::shm
