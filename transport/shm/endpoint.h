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
  // `ringBytes`: Layout::ringBytes().
  ShmEndpoint(int peer, uint64_t ringBytes, size_t slotBytes, Side send, Side recv, Reads reads)
      : peer_(peer), ringBytes_(ringBytes), slotBytes_(slotBytes), send_(send), recv_(recv),
        reads_(reads), maps_(peer, reads.pid) {}

  int peer() const override { return peer_; }
  size_t slotBytes() const override { return slotBytes_; }
  using Endpoint::trySendSlot;
  std::byte* trySendSlot(size_t bytes) override;
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
  const uint64_t ringBytes_;  // the data ring's size (Note [Slot FIFOs])
  const size_t slotBytes_;
  Side send_;
  Side recv_;
  const Reads reads_;
  PeerMaps maps_;  // the peer's shared buffers this rank has loaded from
  // The header of the next message to send, and where its data goes once placed.
  SlotHeader& sendHeader() { return send_.ctl->slot[sendHead_ % kHeaders]; }
  std::byte* placedData() const { return send_.data + pending_.offset; }
  // Refuses a post without a slot, or of more bytes than the slot was asked for.
  void checkRoom(size_t bytes) const;
  // Writes the header (and places the data) of a checked post.
  void publish(SlotHeader& h, size_t bytes, Stamp stamp);

  uint64_t sendHead_ = 0;        // messages we posted
  uint64_t sendTailSeen_ = 0;    // last value of send_.ctl->tail we read
  DataPlace sendPos_{0, 0};      // where the next message's data may start
  uint64_t sendTailPosSeen_ = 0; // last value of send_.ctl->tailPos we read
  // What the last trySendSlot handed out: nothing, the header's inline bytes, or data placed at
  // pending_ for up to pendingBytes_.
  enum class Pending : uint8_t { None, Inline, Data };
  Pending pendingKind_ = Pending::None;
  DataPlace pending_{0, 0};
  size_t pendingBytes_ = 0;
  uint64_t recvTail_ = 0;        // our copy of recv_.ctl->tail
  uint64_t recvEnd_ = 0;         // what tailPos becomes when the message received is released (0: inline)
  const std::byte* recvReady_ = nullptr;  // the chunk tryRecvSlot returned, until released
  Stamp recvStamp_;                       // and its stamp
};

}  // namespace weft::transport::shm
