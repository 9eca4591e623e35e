// SPDX-License-Identifier: Apache-2.0
// Address exchange and link set-up, with deadlines that name the ranks that did not arrive.
#include "runtime/bootstrap.h"

#include <sys/random.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "common/error.h"
#include "common/log.h"
#include "transport/shm/transport.h"

namespace weft::runtime {
namespace {

using store::Bytes;

// Published as "addr/<rank>": host identity, pid, fingerprint of how it chooses algorithms,
// transport address.
struct Published {
  std::string host;
  int32_t pid = 0;
  uint64_t choosing = 0;
  std::vector<std::byte> address;

  static constexpr size_t kFixed = 4 + 4 + 8;  // length of host, pid, choosing
  Bytes encode() const {
    Bytes b(kFixed + host.size());
    const uint32_t n = uint32_t(host.size());
    std::memcpy(b.data(), &n, 4);
    std::memcpy(b.data() + 4, host.data(), host.size());
    std::memcpy(b.data() + 4 + host.size(), &pid, 4);
    std::memcpy(b.data() + 8 + host.size(), &choosing, 8);
    const auto* a = reinterpret_cast<const uint8_t*>(address.data());
    b.insert(b.end(), a, a + address.size());
    return b;
  }
  static Published decode(const Bytes& b, int rank) {
    uint32_t n = 0;
    if (b.size() < kFixed) throw RemoteError("malformed address record from rank " + std::to_string(rank));
    std::memcpy(&n, b.data(), 4);
    if (b.size() < kFixed + size_t(n)) throw RemoteError("malformed address record from rank " + std::to_string(rank));
    Published p;
    p.host.assign(reinterpret_cast<const char*>(b.data()) + 4, n);
    std::memcpy(&p.pid, b.data() + 4 + n, 4);
    std::memcpy(&p.choosing, b.data() + 8 + n, 8);
    const auto* a = reinterpret_cast<const std::byte*>(b.data()) + kFixed + n;
    p.address.assign(a, reinterpret_cast<const std::byte*>(b.data()) + b.size());
    return p;
  }
};

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
  // Rank 0 draws a tag that names this communicator's shared-memory segments, so that two
  // communicators or two jobs never share a name.
  if (rank == 0) {
    const std::string tag = randomHex();
    store.set(key("tag", 0), Bytes(tag.begin(), tag.end()));
  }
  const Bytes tagBytes = gatherAll(store, "tag", rank, 1, size, deadline, "waiting for rank 0")[0];

  transport::shm::ShmOptions shm;
  shm.rank = rank;
  shm.nranks = size;
  shm.jobTag.assign(tagBytes.begin(), tagBytes.end());
  shm.slots = config.shmSlots;
  shm.slotBytes = config.shmSlotBytes;
  Links links;
  links.transport = std::make_unique<transport::shm::ShmTransport>(shm);

  Published me{hostIdentity(config), int32_t(::getpid()), choosing, links.transport->listen()};
  store.set(key("addr", rank), me.encode());
  const std::vector<Bytes> all = gatherAll(store, "addr", rank, size, size, deadline, "exchanging addresses");

  // Ranks that would choose different algorithms for one call must not connect. Every rank sees
  // the difference; they still go through the last two phases together, so that none (rank 0
  // hosting the store above all) leaves while another is still reading.
  std::string refusal;
  for (int peer = 0; peer < size && refusal.empty(); ++peer) {
    if (peer != rank && Published::decode(all[size_t(peer)], peer).choosing != me.choosing) {
      refusal = "rank " + std::to_string(peer) + " chooses algorithms from other settings than rank " +
                std::to_string(rank) + ": WEFT_ALGO or the tuning table (WEFT_TUNE_FILE) differ, and every "
                "rank of a communicator must use the same";
    }
  }
  links.endpoints.resize(size_t(size));
  for (int peer = 0; peer < size && refusal.empty(); ++peer) {
    if (peer == rank) continue;
    Published p = Published::decode(all[size_t(peer)], peer);
    if (p.host != me.host) {
      throw InvalidUsage("rank " + std::to_string(peer) + " runs on another host (" + p.host +
                         ", this rank on " + me.host +
                         "); this build connects ranks of one host only (shared memory)");
    }
    links.endpoints[size_t(peer)] = links.transport->connect(peer, p.address);
    ++links.ranksOnThisHost;
    WEFT_LOG(Info, "rank %d -> rank %d: %s", rank, peer, std::string(links.transport->name()).c_str());
  }
  // Nobody may drop set-up resources (shared-memory names) until every rank has connected.
  store.set(key("ready", rank), Bytes{1});
  gatherAll(store, "ready", rank, size, size, deadline, "waiting for every rank to connect");
  links.transport->finishSetup();
  // Rank 0 may host the store (or delete its file) as soon as init returns: it waits until every
  // rank has finished reading from it.
  store.set(key("done", rank), Bytes{1});
  if (rank == 0) gatherAll(store, "done", rank, size, size, deadline, "waiting for every rank to finish");
  if (!refusal.empty()) throw InvalidUsage(refusal);
  return links;
}

}  // namespace weft::runtime
