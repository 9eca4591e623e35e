// SPDX-License-Identifier: Apache-2.0
// The TCP transport: one or more sockets per peer pair, messages framed into local slot rings,
// and an epoll set to wait on (Notes [TCP set-up], [TCP framing], [TCP progress]).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "common/port_range.h"
#include <vector>

#include "transport/tcp/acceptor.h"
#include "transport/tcp/interfaces.h"
#include "transport/tcp/poller.h"
#include "transport/transport.h"

namespace weft::transport::tcp {

struct TcpOptions {
  int rank = 0;
  int nranks = 1;
  std::string jobTag;               // a hello carries it; connections with another tag are refused
  auth::Secret secret{};            // what every connection proves it knows (Note [Job secret])
  uint32_t slots = 8;               // per direction per peer
  size_t slotBytes = 512 << 10;     // the largest message (chunk) an endpoint carries
  int nsocks = 1;                   // sockets per peer (WEFT_SOCKET_NSOCKS), 1..16
  int nthreads = 1;                 // progress threads (WEFT_SOCKET_NTHREADS), 1..16; at most nsocks used
  std::string ifname;               // WEFT_SOCKET_IFNAME spec; empty: the default choice
  PortRange ports;                  // WEFT_PORT_RANGE for the listener; any(): an ephemeral port
  int family = AF_UNSPEC;           // WEFT_SOCKET_FAMILY: AF_INET, AF_INET6 or AF_UNSPEC (either)
  double setupTimeoutSeconds = 60;  // deadline for connect() to finish with one peer
  double keepaliveSeconds = 30;     // WEFT_SOCKET_KEEPALIVE (Note [TCP keepalive]); 0: off
};

inline constexpr int kMaxSockets = 16;

// Note [TCP set-up]
// listen() binds an ephemeral port on the chosen interface. connect(peer) is called for every
// peer in increasing order on every rank. Of each pair the higher rank connects its nsocks
// sockets to the lower rank's listener and sends a Hello on each; the lower rank accepts until
// it holds all of the peer's sockets, stashing sockets of other peers that come early. An
// active connect completes through the listen backlog without waiting for accept(), so no
// order of calls deadlocks. Hellos with a wrong magic, job tag, rank or index are closed with a
// warning; a hello of this job with other slot or socket settings is an InvalidArgument. Then
// the connector waits for the acceptor's Challenge and sends its proof (Note [Job secret]):
// since a rank answers challenges only while it accepts, and connects only to lower ranks
// before it does, every wait is for a lower rank, and rank 0 only accepts, so none deadlocks.
// A connection whose proof is wrong is closed with a warning, and the acceptor goes on waiting
// for the real peer.

// Thread-compatible during set-up (one thread), then loop-bound (see Transport). Owns its
// progress threads (Note [TCP progress]), started by the constructor.
class TcpTransport final : public Transport {
 public:
  // Throws InvalidArgument for bad options, SystemError if epoll cannot be created.
  explicit TcpTransport(const TcpOptions& options);
  ~TcpTransport() override;

  std::string_view name() const override { return "tcp"; }
  std::vector<std::byte> listen() override;
  std::unique_ptr<Endpoint> connect(int peer, std::span<const std::byte> addr) override;
  void finishSetup() override;
  uint32_t waitToken() override;
  void waitChange(uint32_t token, double maxUs) override;
  bool peerAlive(int peer) override;

 private:
  TcpOptions options_;
  std::shared_ptr<Poller> poller_;
  std::optional<Acceptor> acceptor_;  // from listen() to finishSetup()
};

}  // namespace weft::transport::tcp
