// SPDX-License-Identifier: Apache-2.0
// Tagged slot messages over one UCX endpoint (Note [UCX tags]).
#include "transport/ucx/endpoint.h"

#include <chrono>
#include <cstring>
#include <thread>

#include "common/deadline.h"
#include "common/error.h"
#include "common/log.h"

namespace weft::transport::ucx {
namespace {

// How long a closing endpoint waits for its sends: a healthy peer that has not received them yet
// is inside the collective and progressing, so they finish in far less.
constexpr double kCloseSeconds = 1;

uint64_t tagOf(int sender, uint64_t k) {
  return (uint64_t(sender) << kSeqBits) | (k & ((uint64_t(1) << kSeqBits) - 1));
}

}  // namespace

UcxEndpoint::UcxEndpoint(int rank, int peer, uint32_t slots, size_t slotBytes, std::shared_ptr<Worker> worker,
                         ucp_ep_h ep, bool peerMode)
    : rank_(rank), peer_(peer), slots_(slots), slotBytes_(slotBytes), worker_(std::move(worker)), ep_(ep),
      peerMode_(peerMode), rings_(std::make_shared<Rings>()) {
  rings_->send.resize(slots);
  rings_->recv.resize(slots);
  for (Slot& s : rings_->send) s.worker = worker_.get();
  for (Slot& s : rings_->recv) s.worker = worker_.get();
  // Value-initialised: the pages are touched now, not on the first collective.
  rings_->sendBuf.reset(new std::byte[slots * stride()]());
  rings_->recvBuf.reset(new std::byte[slots * stride()]());
  for (uint64_t k = 0; k < slots; ++k) postRecv(k);
}

UcxEndpoint::~UcxEndpoint() {
  std::lock_guard<std::mutex> lock(worker_->mu());
  close();
}

void UcxEndpoint::onSend(void* request, ucs_status_t status, void* user) {
  auto* s = static_cast<Slot*>(user);
  s->status = status;
  s->state = status == UCS_OK ? State::Free : State::Done;
  s->request = nullptr;
  ucp_request_free(request);
  if (s->counted) s->worker->sendFinished();
  s->counted = false;
  s->worker->bump();
}

void UcxEndpoint::onRecv(void* request, ucs_status_t status, const ucp_tag_recv_info_t* info, void* user) {
  auto* s = static_cast<Slot*>(user);
  s->status = status;
  s->bytes = status == UCS_OK ? info->length : 0;
  s->state = State::Done;
  s->request = nullptr;
  ucp_request_free(request);
  s->worker->noteTraffic();  // its acknowledgement may wait in UCX's queues
  s->worker->bump();
}

void UcxEndpoint::postRecv(uint64_t k) {
  Slot& s = rings_->recv[k % slots_];
  ucp_request_param_t p{};
  p.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA | UCP_OP_ATTR_FLAG_NO_IMM_CMPL;
  p.cb.recv = &UcxEndpoint::onRecv;
  p.user_data = &s;
  std::byte* buf = rings_->recvBuf.get() + (k % slots_) * stride() + kStampAt;
  s.state = State::Pending;
  const ucs_status_ptr_t r =
      ucp_tag_recv_nbx(worker_->handle(), buf, slotBytes_ + sizeof(Stamp), tagOf(peer_, k), ~uint64_t(0), &p);
  if (UCS_PTR_IS_ERR(r)) {
    s.state = State::Done;
    s.status = UCS_PTR_STATUS(r);
    return;  // thrown by tryRecvSlot when the caller reaches this message
  }
  // With NO_IMM_CMPL UCX may still run the callback before returning (the message was already
  // there); the request is freed then and must not be kept.
  if (s.state == State::Pending) s.request = r;
}

void UcxEndpoint::throwIfFailed(const Slot& s, const char* what) const {
  if (s.status == UCS_ERR_MESSAGE_TRUNCATED) {
    throw RemoteError("ucx: rank " + std::to_string(peer_) + " sent rank " + std::to_string(rank_) +
                      " a chunk larger than its " + std::to_string(slotBytes_) + "-byte slots",
                      peer_);
  }
  throw RemoteError(std::string("ucx: ") + what + " rank " + std::to_string(peer_) + " failed on rank " +
                    std::to_string(rank_) + ": " + ucs_status_string(s.status),
                    peer_);
}

std::byte* UcxEndpoint::trySendSlot(size_t) {  // fixed slots
  std::lock_guard<std::mutex> lock(worker_->mu());
  Slot& s = rings_->send[sendHead_ % slots_];
  if (s.state == State::Pending) worker_->progress();
  if (s.state == State::Pending) return nullptr;
  if (s.state == State::Done) throwIfFailed(s, "sending to");
  return rings_->sendBuf.get() + (sendHead_ % slots_) * stride() + kPayloadAt;
}

void UcxEndpoint::postSend(size_t bytes, Stamp stamp) {
  WEFT_CHECK(bytes <= slotBytes_, "ucx: chunk larger than the slot");
  std::lock_guard<std::mutex> lock(worker_->mu());
  Slot& s = rings_->send[sendHead_ % slots_];
  WEFT_CHECK(s.state == State::Free, "ucx: postSend without a free slot");
  ucp_request_param_t p{};
  p.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA;
  p.cb.send = &UcxEndpoint::onSend;
  p.user_data = &s;
  std::byte* buf = rings_->sendBuf.get() + (sendHead_ % slots_) * stride() + kStampAt;
  std::memcpy(buf, &stamp, sizeof(stamp));
  const ucs_status_ptr_t r = ucp_tag_send_nbx(ep_, buf, sizeof(Stamp) + bytes, tagOf(rank_, sendHead_), &p);
  ++sendHead_;
  worker_->noteTraffic();
  if (r == nullptr) return;  // done already: the slot is free again
  if (UCS_PTR_IS_ERR(r)) {
    s.state = State::Done;
    s.status = UCS_PTR_STATUS(r);
    throwIfFailed(s, "sending to");
  }
  s.state = State::Pending;
  s.request = r;
  s.counted = true;
  worker_->sendStarted();
  worker_->progress();
}

const std::byte* UcxEndpoint::tryRecvSlot(size_t* bytes) {
  std::lock_guard<std::mutex> lock(worker_->mu());
  Slot& s = rings_->recv[recvTail_ % slots_];
  if (s.state == State::Pending) worker_->progress();
  if (s.state == State::Pending) return nullptr;
  if (s.status != UCS_OK) throwIfFailed(s, "receiving from");
  const std::byte* slot = rings_->recvBuf.get() + (recvTail_ % slots_) * stride();
  if (s.bytes < sizeof(Stamp)) {
    throw RemoteError("ucx: rank " + std::to_string(peer_) + " sent rank " + std::to_string(rank_) + " a message of " +
                      std::to_string(s.bytes) + " bytes, shorter than its stamp",
                      peer_);
  }
  std::memcpy(&recvStamp_, slot + kStampAt, sizeof(Stamp));
  *bytes = s.bytes - sizeof(Stamp);
  return slot + kPayloadAt;
}

void UcxEndpoint::releaseRecv() {
  std::lock_guard<std::mutex> lock(worker_->mu());
  Slot& s = rings_->recv[recvTail_ % slots_];
  WEFT_CHECK(s.state == State::Done, "ucx: releaseRecv without a received chunk");
  s.state = State::Free;
  postRecv(recvTail_ + slots_);
  ++recvTail_;
}

bool UcxEndpoint::anyPending() const {
  for (const Slot& s : rings_->send) {
    if (s.state == State::Pending) return true;
  }
  for (const Slot& s : rings_->recv) {
    if (s.state == State::Pending) return true;
  }
  return false;
}

void UcxEndpoint::close() {
  // Receives the peer never matched are cancelled. Sends are let finish first (the peer has
  // posted their receives by now unless it failed, and then UCX fails them) and the endpoint is
  // flushed. Then it is closed: with failure handling (Note [UCX failures]) by force, without
  // UCX's disconnect handshake, which would wait for a peer busy elsewhere, and the peer sees the
  // link end as with TCP; without it (every peer on this host) by UCX's flushed close, which UCX
  // finishes without the peer's help. All endpoints of a
  // worker share one deadline, so that many failed peers cost one wait, not one each. An
  // abandoned endpoint (its communicator failed or was aborted) owes nobody its sends: it closes
  // at once, and what UCX may still touch is kept until the worker goes.
  for (Slot& s : rings_->recv) {
    if (s.state == State::Pending && s.request != nullptr) ucp_request_cancel(worker_->handle(), s.request);
  }
  const Deadline& deadline = worker_->closeDeadline(kCloseSeconds);  // shared by all endpoints
  auto drive = [&] {
    worker_->progress();
    std::this_thread::sleep_for(std::chrono::microseconds(20));  // the peer may need this core
  };
  while (!abandoned_ && anyPending() && !deadline.expired()) drive();
  // A completed send may still sit in UCX's buffers (a TCP connection not yet up): flush first.
  // Flushing needs no help from the peer's worker.
  if (!abandoned_ && !worker_->failed(peer_)) {
    ucp_request_param_t f{};
    const ucs_status_ptr_t r = ucp_ep_flush_nbx(ep_, &f);
    if (r != nullptr && !UCS_PTR_IS_ERR(r)) {
      while (ucp_request_check_status(r) == UCS_INPROGRESS && !deadline.expired() && !worker_->failed(peer_)) drive();
      ucp_request_free(r);
    }
  }
  // Forcing is defined only where both sides asked for failure handling; elsewhere a flushed
  // close, which UCX finishes without the peer's help within a host, but not while a send waits
  // on a peer that will never answer: an abandoned endpoint with sends in flight starts its close
  // and leaves it to UCX (ucp_worker_destroy ends it).
  const bool waitClose = !(abandoned_ && !peerMode_ && anyPending());
  ucp_request_param_t p{};
  p.op_attr_mask = UCP_OP_ATTR_FIELD_FLAGS;
  p.flags = peerMode_ ? UCP_EP_CLOSE_FLAG_FORCE : 0;
  const ucs_status_ptr_t r = ucp_ep_close_nbx(ep_, &p);
  if (r != nullptr && !UCS_PTR_IS_ERR(r)) {
    while (waitClose && ucp_request_check_status(r) == UCS_INPROGRESS && !deadline.expired()) drive();
    if (waitClose && ucp_request_check_status(r) == UCS_INPROGRESS) {
      WEFT_LOG(Warn, "ucx: closing the link from rank %d to rank %d timed out", rank_, peer_);
    }
    ucp_request_free(r);  // released now, or by UCX once it completes
  }
  while (!abandoned_ && anyPending() && !deadline.expired()) drive();
  releasePending();
}

void UcxEndpoint::releasePending() {
  if (!anyPending()) return;
  for (Slot& s : rings_->send) {
    if (s.counted) worker_->sendFinished();  // no longer waited for
    s.counted = false;
  }
  worker_->bury(rings_);
}

}  // namespace weft::transport::ucx
