// SPDX-License-Identifier: Apache-2.0
// Segment creation, peer connection, doorbell waits and liveness checks for the shm transport.
#include "transport/shm/transport.h"

#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <new>

#include "common/error.h"
#include "common/log.h"
#include "transport/shm/address.h"
#include "transport/shm/endpoint.h"
#include "transport/shm/peer_reads.h"

namespace weft::transport::shm {
namespace {

SegmentHeader* header(const Segment& s) { return reinterpret_cast<SegmentHeader*>(s.data()); }

}  // namespace

ShmTransport::ShmTransport(const ShmOptions& options)
    : options_(options),
      layout_{uint32_t(options.nranks), options.slots, options.slotBytes},
      pid_(::getpid()) {
  if (options.slots < 2 || options.slots > kMaxSlots) {
    throw InvalidArgument("shm slots must be in [2, " + std::to_string(kMaxSlots) + "], got " +
                          std::to_string(options.slots));
  }
  if (options.slotBytes < 64 || options.slotBytes % 64 != 0) {
    throw InvalidArgument("shm slot size must be a positive multiple of 64 bytes, got " +
                          std::to_string(options.slotBytes));
  }
}

std::vector<std::byte> ShmTransport::listen() {
  const std::string name = "/weft-" + std::to_string(pid_) + "-" + options_.jobTag + "-" +
                           std::to_string(options_.rank);
  own_ = Segment::create(name, layout_.totalBytes());
  auto* h = new (own_.data()) SegmentHeader{};
  h->magic = kSegmentMagic;
  h->nranks = layout_.nranks;
  h->slots = layout_.slots;
  h->slotBytes = layout_.slotBytes;
  for (int src = 0; src < options_.nranks; ++src) {
    new (own_.data() + layout_.fifoOffset(src)) FifoCtl{};
  }
  Address a{};
  a.magic = kAddressMagic;
  a.pid = pid_;
  a.rank = options_.rank;
  a.slots = options_.slots;
  a.slotBytes = options_.slotBytes;
  if (options_.peerReads) {
    allowPeerReads();
    a.probe = probeAddress();
    a.probeValue = probeValue();
  }
  WEFT_CHECK(name.size() < sizeof(a.name), "segment name too long");
  std::memcpy(a.name, name.c_str(), name.size() + 1);
  return encodeAddress(a);
}

std::unique_ptr<Endpoint> ShmTransport::connect(int peer, std::span<const std::byte> addr) {
  const Address a = decodeAddress(addr, peer);
  if (a.slots != options_.slots || a.slotBytes != options_.slotBytes) {
    throw InvalidArgument("rank " + std::to_string(peer) + " uses " + std::to_string(a.slots) +
                          " shm slots of " + std::to_string(a.slotBytes) + " bytes, this rank " +
                          std::to_string(options_.slots) + " of " + std::to_string(options_.slotBytes) +
                          ": set WEFT_SHM_SLOTS and WEFT_SHM_SLOT_BYTES alike on every rank");
  }
  Segment seg = Segment::open(a.name, layout_.totalBytes());
  if (header(seg)->magic != kSegmentMagic) throw RemoteError("shared memory " + std::string(a.name) + " is not a weft segment");
  const int me = options_.rank;
  ShmEndpoint::Side send{reinterpret_cast<FifoCtl*>(seg.data() + layout_.fifoOffset(me)),
                         seg.data() + layout_.fifoOffset(me) + layout_.ctlBytes(), &header(seg)->bell};
  ShmEndpoint::Side recv{reinterpret_cast<FifoCtl*>(own_.data() + layout_.fifoOffset(peer)),
                         own_.data() + layout_.fifoOffset(peer) + layout_.ctlBytes(), &header(seg)->bell};
  peers_.push_back(Peer{peer, std::move(seg), ProcessWatch(a.pid == pid_ ? 0 : a.pid)});
  std::string why = "WEFT_SHM_PEER_READS=0";
  const PeerReads reads = options_.peerReads && a.probe != 0 ? probePeerReads(a.pid, a.probe, a.probeValue, &why) : PeerReads::None;
  WEFT_LOG(Trace, "shm: connected to rank %d (pid %d) through %s; peer reads: %s", peer, int(a.pid), a.name,
           reads == PeerReads::None ? ("no (" + why + ")").c_str() : "yes");
  return std::make_unique<ShmEndpoint>(peer, layout_.ringBytes(), options_.slotBytes, send, recv,
                                       ShmEndpoint::Reads{reads, a.pid});
}

void ShmTransport::finishSetup() {
  // Every peer has mapped our segment: drop the name so that a crash leaves nothing behind.
  own_.unlink();
}

uint32_t ShmTransport::waitToken() { return header(own_)->bell.seq.load(std::memory_order_seq_cst); }

void ShmTransport::waitChange(uint32_t token, double maxUs) {
  Doorbell& bell = header(own_)->bell;
  if (bell.seq.load(std::memory_order_seq_cst) != token) return;
  if (justArmed_) maxUs = std::min(maxUs, kFirstArmedSleepUs);  // Note [Doorbells]
  justArmed_ = false;  // cleared by a sleep only: a wake-up soon after arming proves nothing
  futexWait(&bell.seq, token, maxUs);
}

void ShmTransport::armWait(bool on) {
  Doorbell& bell = header(own_)->bell;
  if (on) justArmed_ = bell.sleepers.fetch_add(1, std::memory_order_seq_cst) == 0 || justArmed_;
  else bell.sleepers.fetch_sub(1, std::memory_order_seq_cst);
}

bool ShmTransport::peerAlive(int peer) {
  for (const Peer& p : peers_) {
    if (p.rank != peer) continue;
    return p.watch.alive();  // always, for a thread rank of this very process
  }
  return true;
}

}  // namespace weft::transport::shm
