// SPDX-License-Identifier: Apache-2.0
// Set-up (Note [UCX set-up]), address blobs and the waiting entry points of UcxTransport.
#include "transport/ucx/transport.h"

#include <unistd.h>

#include "common/error.h"
#include "common/hash.h"
#include "common/log.h"
#include "transport/ucx/address.h"
#include "transport/ucx/endpoint.h"
#include "transport/ucx/handshake.h"

namespace weft::transport::ucx {
UcxTransport::UcxTransport(const UcxOptions& options) : options_(options) {
  if (options.nranks < 1 || options.rank < 0 || options.rank >= options.nranks) {
    throw InvalidArgument("ucx: rank " + std::to_string(options.rank) + " out of range for " +
                          std::to_string(options.nranks) + " ranks");
  }
  if (options.nranks > kMaxRanks) {
    throw InvalidArgument("ucx: at most " + std::to_string(kMaxRanks) + " ranks, got " + std::to_string(options.nranks));
  }
  if (options.slots < 1) throw InvalidArgument("ucx: slots must be at least 1");
  if (options.slotBytes < 1) throw InvalidArgument("ucx: slot size must be at least 1 byte");
  for (int i = 0; i < options.nranks; ++i) localWatch_.emplace_back(0);
  eps_.assign(size_t(options.nranks), nullptr);
}

UcxTransport::~UcxTransport() = default;

std::vector<std::byte> UcxTransport::listen() {
  WEFT_CHECK(!worker_, "listen() called twice");
  worker_ = std::make_shared<Worker>(options_.rank, options_.nranks, options_.shmOnly);
  std::vector<std::byte> addr;
  {
    std::lock_guard<std::mutex> lock(worker_->mu());
    addr = worker_->address();
  }
  AddressHeader h{};
  h.rank = options_.rank;
  h.slots = options_.slots;
  h.slotBytes = options_.slotBytes;
  h.tagHash = fnv1a(options_.jobTag);
  h.hostHash = fnv1a(options_.hostId);
  h.pid = int32_t(::getpid());
  return encodeAddress(h, addr);
}

std::unique_ptr<Endpoint> UcxTransport::connect(int peer, std::span<const std::byte> addr) {
  const std::string who = "rank " + std::to_string(peer);
  if (peer < 0 || peer >= options_.nranks || peer == options_.rank) {
    throw InvalidArgument("ucx: rank " + std::to_string(options_.rank) + " cannot connect to " + who);
  }
  WEFT_CHECK(worker_ != nullptr, "connect() before listen()");
  const Address a = decodeAddress(addr, peer);
  const AddressHeader& h = a.header;
  if (h.tagHash != fnv1a(options_.jobTag)) throw InvalidArgument("ucx: " + who + " belongs to another communicator");
  if (h.slots != options_.slots || h.slotBytes != options_.slotBytes) {
    throw InvalidArgument("ucx: " + who + " uses " + std::to_string(h.slots) + " slots of " +
                          std::to_string(h.slotBytes) + " bytes, rank " + std::to_string(options_.rank) + " " +
                          std::to_string(options_.slots) + " of " + std::to_string(options_.slotBytes) +
                          ": set WEFT_UCX_SLOT_BYTES and WEFT_SHM_SLOTS alike on every rank");
  }
  const bool sameHost = h.hostHash == fnv1a(options_.hostId);
  // Another process of this host; not this one (thread ranks), which is never asked about.
  if (sameHost && h.pid != ::getpid()) localWatch_[size_t(peer)] = ProcessWatch(h.pid);

  std::lock_guard<std::mutex> lock(worker_->mu());
  ucp_ep_params_t p{};
  p.field_mask = UCP_EP_PARAM_FIELD_REMOTE_ADDRESS | UCP_EP_PARAM_FIELD_ERR_HANDLING_MODE;
  p.address = reinterpret_cast<const ucp_address_t*>(a.worker.data());
  // Note [UCX failures]
  const bool peerMode = options_.acrossHosts;
  p.err_mode = peerMode ? UCP_ERR_HANDLING_MODE_PEER : UCP_ERR_HANDLING_MODE_NONE;
  if (peerMode) {
    p.field_mask |= UCP_EP_PARAM_FIELD_ERR_HANDLER;
    p.err_handler.cb = &Worker::onEndpointError;
    p.err_handler.arg = worker_->errorArg(peer);
  }
  ucp_ep_h ep = nullptr;
  const ucs_status_t st = ucp_ep_create(worker_->handle(), &p, &ep);
  if (st != UCS_OK) throwStatus("endpoint creation to " + who, st);
  WEFT_LOG(Trace, "ucx: rank %d connected to %s (%s host)", options_.rank, who.c_str(), sameHost ? "same" : "other");
  eps_[size_t(peer)] = ep;
  return std::make_unique<UcxEndpoint>(options_.rank, peer, options_.slots, options_.slotBytes, worker_, ep, peerMode);
}

void UcxTransport::finishSetup() {
  if (worker_) handshake(*worker_, options_.rank, eps_, options_.secret, options_.setupTimeoutSeconds);
  eps_.assign(eps_.size(), nullptr);
}

uint32_t UcxTransport::waitToken() { return worker_ ? worker_->counter() : 0; }

void UcxTransport::waitChange(uint32_t token, double maxUs) {
  if (worker_) worker_->waitChange(token, maxUs);
}

bool UcxTransport::peerAlive(int peer) {
  if (!worker_ || peer < 0 || peer >= options_.nranks) return true;
  {
    std::lock_guard<std::mutex> lock(worker_->mu());
    worker_->progress();
  }
  if (worker_->failed(peer)) return false;
  return localWatch_[size_t(peer)].alive();
}

}  // namespace weft::transport::ucx
