// SPDX-License-Identifier: Apache-2.0
// The UCX transport: one UCX worker per transport, its address published through the store,
// one UCX endpoint per peer carrying tagged slot messages (Notes [UCX tags], [UCX progress]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "transport/process_watch.h"
#include "transport/transport.h"
#include "transport/ucx/options.h"
#include "transport/ucx/worker.h"

namespace weft::transport::ucx {

// Note [UCX set-up]
// listen() creates the worker and returns a blob: a header (job tag hash, rank, slots, slot size,
// pid and host hash) and UCX's worker address. connect() checks the header and creates the UCX
// endpoint from the address; UCX wires it up on first use, so no order of connect() calls can
// deadlock. What UCX runs over is UCX's choice (UCX_TLS, UCX_NET_DEVICES), within the limits of
// Note [UCX failures].
//
// Note [UCX failures]
// UCX aborts the process when a transport reports an error on an endpoint made without failure
// handling: cross-memory attach reading from a peer that has exited (a rendezvous), a TCP lane
// reset. Failure handling (UCP_ERR_HANDLING_MODE_PEER) makes such errors fail the operation and
// clear peerAlive instead, but in UCX 1.13 it rules out the shared-memory transports. So:
// - a transport whose peers are all on this host (WEFT_TRANSPORT=ucx within a host) asks for no
//   failure handling and limits UCX to the shared-memory transports that cannot fail an
//   operation, posix, sysv and self (large messages then go by UCX's rendezvous over active
//   messages, without cma); peerAlive asks whether the peer's process still exists, as the shm
//   transport does. A user's own UCX_TLS is obeyed, at the user's risk (the runtime decides:
//   UcxOptions::shmOnly);
// - a transport with any peer on another host asks for failure handling on every endpoint, those
//   within the host included (UCX then picks TCP over loopback between them).

// Thread-compatible during set-up, then loop-bound (see Transport). Owns a helper thread through
// its Worker (Note [UCX progress]).
class UcxTransport final : public Transport {
 public:
  // Throws InvalidArgument for bad options, SystemError if UCX cannot start.
  explicit UcxTransport(const UcxOptions& options);
  ~UcxTransport() override;

  std::string_view name() const override { return "ucx"; }
  std::vector<std::byte> listen() override;
  std::unique_ptr<Endpoint> connect(int peer, std::span<const std::byte> addr) override;
  void finishSetup() override;
  uint32_t waitToken() override;
  void waitChange(uint32_t token, double maxUs) override;
  bool peerAlive(int peer) override;

 private:
  UcxOptions options_;
  std::shared_ptr<Worker> worker_;
  std::vector<ProcessWatch> localWatch_;  // by peer: its process if it runs on this host (Note [Peer liveness])
  std::vector<ucp_ep_h> eps_;             // by peer, owned by the endpoints, until the handshake
};

}  // namespace weft::transport::ucx
