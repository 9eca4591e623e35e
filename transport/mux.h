// SPDX-License-Identifier: Apache-2.0
// A transport made of several: each peer is reached through the one chosen for it (shared memory
// on the same host, TCP across hosts, ...), behind the one Transport interface collectives use.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "transport/shm/transport.h"
#include "transport/tcp/transport.h"
#include "transport/transport.h"
#include "transport/ucx/options.h"

namespace weft::transport {

struct MuxOptions {
  int rank = 0;
  int nranks = 1;
  std::vector<std::string> perPeer;  // transport name for each rank ("shm", "tcp", "ucx"); self ignored
  shm::ShmOptions shm;               // rank, nranks and jobTag are filled in from the above
  tcp::TcpOptions tcp;
  ucx::UcxOptions ucx;
};

// Note [Mux]: listen() starts only the transports some peer needs and publishes all their
// addresses in one blob (name, length, address per transport); connect() reads the chosen one's.
// Waiting covers every transport: with one, its own waitChange; with several, short slices on
// each in turn, since a futex doorbell and an epoll set cannot be waited on together.
class MuxTransport final : public Transport {
 public:
  explicit MuxTransport(MuxOptions options);

  // "shm", "tcp", "ucx", or the names joined by '+' when peers use several.
  std::string_view name() const override { return name_; }
  std::vector<std::byte> listen() override;
  // Throws InvalidArgument when the peer did not publish the transport chosen for it.
  std::unique_ptr<Endpoint> connect(int peer, std::span<const std::byte> addr) override;
  void finishSetup() override;
  uint32_t waitToken() override;
  void waitChange(uint32_t token, double maxUs) override;
  void armWait(bool on) override;
  bool peerAlive(int peer) override;

 private:
  struct Part {
    std::string name;
    std::unique_ptr<Transport> transport;
    uint32_t token = 0;  // its token at the last waitToken()
  };
  Part& partFor(int peer);

  MuxOptions options_;
  std::vector<Part> parts_;
  std::string name_;
  uint32_t generation_ = 0;
  int armed_ = 0;           // armWait nesting
  bool justArmed_ = false;  // armed since the last sliced wait (Note [Armed waits])
};

}  // namespace weft::transport
