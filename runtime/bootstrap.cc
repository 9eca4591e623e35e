// SPDX-License-Identifier: Apache-2.0
// Address exchange and link set-up, with deadlines that name the ranks that did not arrive.
#include "runtime/bootstrap.h"
#include "runtime/host_cpus.h"

#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>

#include "common/error.h"
#include "common/hash.h"
#include "common/log.h"
#include "runtime/identity.h"
#include "runtime/transport_choice.h"
#include "transport/cuda/device.h"
#include "transport/mux.h"

namespace weft::runtime {
namespace {

using store::Bytes;

// Why this rank must not connect to the others (settings that differ), or empty.
std::string refusalFor(const std::vector<Identity>& ids, int rank) {
  const Identity& me = ids[size_t(rank)];
  for (size_t peer = 0; peer < ids.size(); ++peer) {
    const std::string who = "rank " + std::to_string(peer);
    if (ids[peer].choosing != me.choosing) {
      return who + " chooses algorithms from other settings than rank " + std::to_string(rank) +
             ": WEFT_ALGO or the tuning table (WEFT_TUNE_FILE) differ, and every rank of a communicator must use the same";
    }
    if (ids[peer].transports != me.transports) {
      return who + " has other transport settings than rank " + std::to_string(rank) +
             " (WEFT_TRANSPORT, WEFT_SHM_SLOTS, WEFT_SHM_SLOT_BYTES, WEFT_SOCKET_SLOT_BYTES, WEFT_SOCKET_NSOCKS or "
             "WEFT_SOCKET_FAMILY, WEFT_UCX_SLOT_BYTES, WEFT_SHM_PEER_READS, WEFT_CUDA_LINK); "
             "every rank must use the same";
    }
  }
  return {};
}

std::string key(const char* what, int rank) { return std::string(what) + "/" + std::to_string(rank); }

// Waits for `what/<r>` of every rank; on timeout, names every rank still missing.
// `from` is how many ranks publish `what` (1 for rank 0's tag), `size` the communicator's size.
std::vector<Bytes> gatherAll(store::Store& store, const char* what, int rank, int from, int size,
                             const Deadline& deadline, const char* phase) {
  std::vector<Bytes> out(static_cast<size_t>(from));
  for (int r = 0; r < from; ++r) {
    try {
      out[size_t(r)] = store.get(key(what, r), deadline);
    } catch (const Timeout&) {
      std::string missing;
      for (int m = r; m < from; ++m) {
        try {
          store.get(key(what, m), Deadline::after(1e-3));
        } catch (const Timeout&) {
          missing += (missing.empty() ? "" : ", ") + std::to_string(m);
        }
      }
      throw Timeout("bootstrap of rank " + std::to_string(rank) + " of " + std::to_string(size) +
                    " timed out " + deadline.describe() + " " + phase + " at " + store.describe() +
                    ": rank(s) " + missing + " never arrived (WEFT_BOOTSTRAP_TIMEOUT sets the limit)");
    }
  }
  return out;
}

// The UUID of the calling thread's current GPU, where the device ring may run (Note [Device
// link]: ranks that share a GPU stage instead) and the thread has a CUDA context current
// already, as NCCL asks of a thread making a communicator; empty otherwise (then weft does not
// start CUDA here: a host-only program stays free of it).
std::string currentGpu(const Config& config) {
  if (config.cudaLink == "staged") return {};
  try {
    device::Runtime* rt = device::runtime();
    if (rt == nullptr || !rt->active() || !rt->usable()) return {};
    const device::Runtime::Identity id = rt->identify(rt->currentDevice());
    return std::string(reinterpret_cast<const char*>(id.uuid), sizeof id.uuid);
  } catch (const std::exception& e) {
    WEFT_LOG(Info, "no GPU identity at init: %s", e.what());
    return {};
  }
}

}  // namespace

std::string randomHex() {
  uint64_t v = 0;
  if (::getrandom(&v, sizeof(v), 0) != sizeof(v)) throw SystemError("getrandom failed", errno);
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string hostIdentity(const Config& config) {
  if (!config.hostId.empty()) return config.hostId;
  char host[256] = {0};
  ::gethostname(host, sizeof(host) - 1);
  std::string boot;
  std::ifstream f("/proc/sys/kernel/random/boot_id");
  std::getline(f, boot);
  return std::string(host) + "/" + boot;
}

Links connectRanks(store::Store& store, int rank, int size, const Config& config, uint64_t choosing) {
  const Deadline deadline = Deadline::after(config.bootstrapTimeoutSeconds);
  // Rank 0 draws a tag that names this communicator's shared-memory segments and that its TCP
  // connections must present, so that two communicators or two jobs never mix.
  if (rank == 0) {
    const std::string tag = randomHex();
    store.set(key("tag", 0), Bytes(tag.begin(), tag.end()));
  }
  const Bytes tagBytes = gatherAll(store, "tag", rank, 1, size, deadline, "waiting for rank 0")[0];

  // Who runs where, and with which settings.
  // Transport settings must agree: they decide who talks how and the chunk size of every call.
  const std::string transportSettings = config.transport + "|" + std::to_string(config.shmSlots) + "|" +
                                        std::to_string(config.shmSlotBytes) + "|" +
                                        std::to_string(config.socketSlotBytes) + "|" + std::to_string(config.socketNsocks) + "|" +
                                        std::to_string(config.socketFamily) + "|" + std::to_string(config.ucxSlotBytes) + "|" +
                                        std::to_string(config.shmPeerReads) + "|" + config.cudaLink;
  const Identity me{hostIdentity(config), int32_t(::getpid()), choosing, fnv1a(transportSettings),
                    uint32_t(ucxNetworkHere()), currentGpu(config), ownCpus()};
  store.set(key("host", rank), me.encode());
  std::vector<Identity> ids;
  for (const Bytes& b : gatherAll(store, "host", rank, size, size, deadline, "exchanging host identities")) {
    ids.push_back(Identity::decode(b, int(ids.size())));
  }
  // Ranks that would choose differently must not connect. Every rank sees the difference; they
  // still go through the last phases together, so that none (rank 0, hosting the store, above
  // all) leaves while another is still reading.
  std::string refusal = refusalFor(ids, rank);
  Links links;
  for (const Identity& id : ids) {
    links.where.hosts.push_back(id.host);
    links.where.ucxNet.push_back(id.ucxNet != 0);
    links.where.gpus.push_back(id.gpu);
    links.where.cpus.push_back(id.cpus);
  }

  transport::MuxOptions mux;
  mux.rank = rank;
  mux.nranks = size;
  if (refusal.empty()) {
    try {
      mux.perPeer = chooseTransports(config.transport, links.where, rank);
    } catch (const Error& e) {
      refusal = e.what();
    }
  }
  if (!refusal.empty()) mux.perPeer.assign(size_t(size), "");  // listen on nothing, connect nothing
  setTransportOptions(config, std::string(tagBytes.begin(), tagBytes.end()), links.where, mux);
  auto transport = std::make_unique<transport::MuxTransport>(mux);
  const std::vector<std::byte> address = transport->listen();
  const auto* a0 = reinterpret_cast<const uint8_t*>(address.data());
  store.set(key("addr", rank), Bytes(a0, a0 + address.size()));
  const std::vector<Bytes> all = gatherAll(store, "addr", rank, size, size, deadline, "exchanging addresses");

  links.endpoints.resize(size_t(size));
  for (int peer = 0; peer < size && refusal.empty(); ++peer) {
    if (peer == rank) continue;
    const auto* a = reinterpret_cast<const std::byte*>(all[size_t(peer)].data());
    links.endpoints[size_t(peer)] = transport->connect(peer, std::span(a, all[size_t(peer)].size()));
    WEFT_LOG(Info, "rank %d -> rank %d (%s): %s", rank, peer, links.where.hosts[size_t(peer)].c_str(),
             mux.perPeer[size_t(peer)].c_str());
  }
  // Nobody may drop set-up resources (shared-memory names) until every rank has connected. Each
  // rank says whether it can read every peer's memory; algorithms that do so run only where all
  // can, so that every rank chooses alike (Note [Peer reads]).
  bool readsAll = size > 1 && refusal.empty();
  for (int peer = 0; peer < size && readsAll; ++peer) {
    readsAll = peer == rank || links.endpoints[size_t(peer)]->canReadPeer();
  }
  store.set(key("ready", rank), Bytes{uint8_t(readsAll ? 1 : 0)});
  const std::vector<Bytes> ready = gatherAll(store, "ready", rank, size, size, deadline, "waiting for every rank to connect");
  links.peerReads = std::all_of(ready.begin(), ready.end(), [](const Bytes& b) { return b == Bytes{1}; });
  transport->finishSetup();
  links.transport = std::move(transport);
  // Rank 0 may host the store (or delete its file) as soon as init returns: it waits until every
  // rank has finished reading from it.
  store.set(key("done", rank), Bytes{1});
  if (rank == 0) gatherAll(store, "done", rank, size, size, deadline, "waiting for every rank to finish");
  if (!refusal.empty()) throw InvalidUsage(refusal);
  return links;
}

void setTransportOptions(const Config& config, const std::string& tag, const Placement& where,
                         transport::MuxOptions& mux) {
  const std::string& host = where.hosts[size_t(mux.rank)];
  mux.shm.jobTag = tag;
  mux.shm.slots = config.shmSlots;
  mux.shm.slotBytes = config.shmSlotBytes;
  mux.shm.peerReads = config.shmPeerReads;
  mux.tcp.jobTag = tag;
  mux.tcp.secret = config.secret;
  mux.tcp.slots = config.shmSlots;
  mux.tcp.slotBytes = config.socketSlotBytes;
  mux.tcp.nsocks = config.socketNsocks;
  mux.tcp.nthreads = config.socketNthreads;
  mux.tcp.keepaliveSeconds = config.socketKeepaliveSeconds;
  mux.tcp.ifname = config.socketIfname;
  mux.tcp.ports = config.portRange;
  mux.tcp.family = config.socketFamily == 4 ? AF_INET : config.socketFamily == 6 ? AF_INET6 : AF_UNSPEC;
  mux.tcp.setupTimeoutSeconds = config.bootstrapTimeoutSeconds;
  mux.ucx.jobTag = tag;
  mux.ucx.hostId = host;
  mux.ucx.slots = config.shmSlots;
  mux.ucx.slotBytes = config.ucxSlotBytes;
  mux.ucx.secret = config.secret;
  mux.ucx.setupTimeoutSeconds = config.bootstrapTimeoutSeconds;
  mux.ucx.acrossHosts = false;
  for (size_t peer = 0; peer < mux.perPeer.size(); ++peer) {
    if (mux.perPeer[peer] == "ucx" && where.hosts[peer] != host) mux.ucx.acrossHosts = true;
  }
  mux.ucx.shmOnly = !mux.ucx.acrossHosts && !config.ucxTlsSet;
}

}  // namespace weft::runtime
