// SPDX-License-Identifier: Apache-2.0
// Several transports behind one (Note [Mux] in mux.h).
#include "transport/mux.h"

#include <algorithm>
#include <cstring>

#include "common/error.h"
#include "weft_config.h"
#if WEFT_HAVE_UCX
#include "transport/ucx/transport.h"
#endif

namespace weft::transport {
namespace {

constexpr double kSliceUs = 200;  // per transport per turn, while waiting on several

void put32(std::vector<std::byte>& out, uint32_t v) {
  const auto* p = reinterpret_cast<const std::byte*>(&v);
  out.insert(out.end(), p, p + 4);
}

}  // namespace

MuxTransport::MuxTransport(MuxOptions options) : options_(std::move(options)) {
  WEFT_CHECK(options_.perPeer.size() == size_t(options_.nranks), "mux: one transport name per rank");
  for (int r = 0; r < options_.nranks; ++r) {
    const std::string& n = options_.perPeer[size_t(r)];
    if (r == options_.rank || n.empty()) continue;
    if (std::none_of(parts_.begin(), parts_.end(), [&](const Part& p) { return p.name == n; })) {
      parts_.push_back(Part{n, nullptr, 0});
    }
  }
  std::sort(parts_.begin(), parts_.end(), [](const Part& a, const Part& b) { return a.name < b.name; });  // shm first
  for (Part& p : parts_) {
    if (p.name == "shm") {
      shm::ShmOptions o = options_.shm;
      o.rank = options_.rank;
      o.nranks = options_.nranks;
      p.transport = std::make_unique<shm::ShmTransport>(o);
    } else if (p.name == "tcp") {
      tcp::TcpOptions o = options_.tcp;
      o.rank = options_.rank;
      o.nranks = options_.nranks;
      p.transport = std::make_unique<tcp::TcpTransport>(o);
#if WEFT_HAVE_UCX
    } else if (p.name == "ucx") {
      ucx::UcxOptions o = options_.ucx;
      o.rank = options_.rank;
      o.nranks = options_.nranks;
      p.transport = std::make_unique<ucx::UcxTransport>(o);
#endif
    } else {
      throw InvalidArgument("unknown transport '" + p.name + "' (not in this build)");
    }
    name_ += (name_.empty() ? "" : "+") + p.name;
  }
  if (name_.empty()) name_ = "self";
}

std::vector<std::byte> MuxTransport::listen() {
  std::vector<std::byte> out;
  put32(out, uint32_t(parts_.size()));
  for (Part& p : parts_) {
    const std::vector<std::byte> addr = p.transport->listen();
    put32(out, uint32_t(p.name.size()));
    const auto* n = reinterpret_cast<const std::byte*>(p.name.data());
    out.insert(out.end(), n, n + p.name.size());
    put32(out, uint32_t(addr.size()));
    out.insert(out.end(), addr.begin(), addr.end());
  }
  return out;
}

MuxTransport::Part& MuxTransport::partFor(int peer) {
  const std::string& n = options_.perPeer[size_t(peer)];
  for (Part& p : parts_) {
    if (p.name == n) return p;
  }
  throw InternalError("mux: no transport for rank " + std::to_string(peer));
}

std::unique_ptr<Endpoint> MuxTransport::connect(int peer, std::span<const std::byte> addr) {
  Part& part = partFor(peer);
  size_t at = 0;
  auto get32 = [&](uint32_t* v) {
    if (addr.size() - at < 4) return false;
    std::memcpy(v, addr.data() + at, 4);
    at += 4;
    return true;
  };
  uint32_t count = 0;
  if (!get32(&count)) throw RemoteError("malformed transport addresses from rank " + std::to_string(peer));
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t nameLen = 0, addrLen = 0;
    if (!get32(&nameLen) || addr.size() - at < nameLen) break;
    const std::string name(reinterpret_cast<const char*>(addr.data() + at), nameLen);
    at += nameLen;
    if (!get32(&addrLen) || addr.size() - at < addrLen) break;
    if (name == part.name) return part.transport->connect(peer, addr.subspan(at, addrLen));
    at += addrLen;
  }
  throw InvalidArgument("rank " + std::to_string(peer) + " published no " + part.name +
                        " address, though this rank chose " + part.name + " to reach it");
}

void MuxTransport::finishSetup() {
  for (Part& p : parts_) p.transport->finishSetup();
}

uint32_t MuxTransport::waitToken() {
  for (Part& p : parts_) p.token = p.transport->waitToken();
  return ++generation_;
}

void MuxTransport::waitChange(uint32_t token, double maxUs) {
  if (parts_.size() == 1) return parts_[0].transport->waitChange(parts_[0].token, maxUs);
  if (parts_.empty() || token != generation_) return;
  // Any change since waitToken shows as a part's token moving: its waitChange returns at once.
  // Right after arming, a post may have skipped the ring (Note [Armed waits]): one short pass,
  // then back to the caller, which looks at its links again.
  double left = justArmed_ ? std::min(maxUs, kFirstArmedSleepUs) : maxUs;
  justArmed_ = false;
  do {
    for (Part& p : parts_) {
      const double slice = std::min(left, kSliceUs);
      p.transport->waitChange(p.token, slice);
      if (p.transport->waitToken() != p.token) return;
      left -= slice;
    }
  } while (left > 0);
}

void MuxTransport::armWait(bool on) {
  for (Part& p : parts_) p.transport->armWait(on);
  if (on && armed_++ == 0) justArmed_ = true;
  if (!on) --armed_;
}

bool MuxTransport::peerAlive(int peer) { return partFor(peer).transport->peerAlive(peer); }

}  // namespace weft::transport
