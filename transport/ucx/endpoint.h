// SPDX-License-Identifier: Apache-2.0
// The UCX Endpoint: slot rings on both sides, each chunk one tagged message (Note [UCX tags]).
#pragma once

#include <ucp/api/ucp.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "transport/transport.h"
#include "transport/ucx/worker.h"

namespace weft::transport::ucx {

// Note [UCX tags]
// Each direction of a pair carries messages numbered 0, 1, 2, ...; message k from rank s has the
// tag (s << 40) | (k mod 2^40), so a worker's receives (tag matching is per worker, not per
// endpoint) tell peers and messages apart exactly and order never matters. The receiver keeps a
// receive posted for message k in slot k % slots from the moment that slot is free (at start for
// the first `slots` messages, when message k - slots is released after that), so UCX can land
// the data in place, by rendezvous for large chunks. The sender posts message k from its own
// slot k % slots and may reuse the slot once UCX completes the send. No credits are needed: a
// large message waits for its receive (rendezvous), which bounds the sender by its `slots`; a
// small (eager) one that arrives before its receive is posted waits in UCX's unexpected queue,
// as MPI's do, so a sender of many small messages may run ahead of a slow receiver by more than
// `slots`, its messages held in the receiver's memory meanwhile. Synchronous sends (ucp_tag_send_sync_nbx) would bound that too, but make a sender that
// leaves wait for its receiver to match, and lose the message if it cannot.
inline constexpr int kSeqBits = 40;
inline constexpr int kMaxRanks = 1 << (64 - kSeqBits - 1);

// Loop-bound for its callers; every call takes the worker's lock (Note [UCX progress]).
class UcxEndpoint final : public Endpoint {
 public:
  // Owns `ep` (closes it on destruction; `peerMode`: created with UCP_ERR_HANDLING_MODE_PEER).
  // Posts the first receives. Call with the worker's lock held.
  UcxEndpoint(int rank, int peer, uint32_t slots, size_t slotBytes, std::shared_ptr<Worker> worker, ucp_ep_h ep,
              bool peerMode);
  ~UcxEndpoint() override;
  UcxEndpoint(const UcxEndpoint&) = delete;
  UcxEndpoint& operator=(const UcxEndpoint&) = delete;

  int peer() const override { return peer_; }
  size_t slotBytes() const override { return slotBytes_; }
  using Endpoint::trySendSlot;
  std::byte* trySendSlot(size_t bytes) override;
  void postSend(size_t bytes, Stamp stamp) override;
  const std::byte* tryRecvSlot(size_t* bytes) override;
  Stamp recvStamp() const override { return recvStamp_; }
  void releaseRecv() override;
  void abandon() override { abandoned_ = true; }

 private:
  enum class State : uint8_t { Free, Pending, Done };
  struct Slot {
    State state = State::Free;
    void* request = nullptr;  // while Pending and UCX gave one
    size_t bytes = 0;         // received length
    ucs_status_t status = UCS_OK;
    bool counted = false;     // a send counted in the worker's pending sends
    Worker* worker = nullptr;
  };
  // What UCX may still touch after the endpoint is gone, if an operation never finishes.
  struct Rings {
    std::vector<Slot> send, recv;
    std::unique_ptr<std::byte[]> sendBuf, recvBuf;
  };
  static void onSend(void* request, ucs_status_t status, void* user);
  static void onRecv(void* request, ucs_status_t status, const ucp_tag_recv_info_t* info, void* user);
  // A slot is kPayloadAt bytes of head room and slotBytes_ of payload; a message is its stamp
  // (the head room's last bytes) and the payload, contiguous, so that UCX sends and lands both
  // as one buffer and the payload stays 64-byte aligned.
  static constexpr size_t kPayloadAt = 64;
  static constexpr size_t kStampAt = kPayloadAt - sizeof(Stamp);
  size_t stride() const { return kPayloadAt + slotBytes_; }
  void postRecv(uint64_t k);
  void throwIfFailed(const Slot& s, const char* what) const;
  bool anyPending() const;
  void close();
  // Operations UCX never finished may still write to the rings: they go to the worker's graveyard.
  void releasePending();

  const int rank_;
  const int peer_;
  const uint32_t slots_;
  const size_t slotBytes_;
  const std::shared_ptr<Worker> worker_;
  ucp_ep_h ep_;
  const bool peerMode_;
  bool abandoned_ = false;  // abandon(): close without waiting for sends
  std::shared_ptr<Rings> rings_;
  uint64_t sendHead_ = 0;  // messages posted
  uint64_t recvTail_ = 0;  // messages released
  Stamp recvStamp_;        // of the chunk tryRecvSlot returned
};

}  // namespace weft::transport::ucx
