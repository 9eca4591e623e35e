// SPDX-License-Identifier: Apache-2.0
// The server side of the TCP store: one background thread that serves any number of clients.
#pragma once

#include "common/auth.h"
#include "common/port_range.h"

#include <memory>
#include <string>
#include <thread>

namespace weft::store {

namespace detail {
class ServerLoop;
}

// Owned by one thread (usually rank 0's bootstrap); the serving thread is internal. Clients
// must present the same job key and prove they know the job's secret (see TcpStore::connect);
// others are rejected, so two jobs on one machine never share keys and strangers read nothing. Get/Wait requests for missing keys are parked on the server
// and answered when the keys are set or the request's timeout passes (no client polling).
class TcpStoreServer {
 public:
  // Listens on bindHost ("" = every interface, IPv4 and IPv6) and port (0 = ephemeral) and
  // starts serving. Throws SystemError, e.g. "cannot listen on port 29500: Address already in
  // use (another job may be using this MASTER_PORT)".
  static std::unique_ptr<TcpStoreServer> start(const std::string& bindHost, int port, std::string jobKey,
                                               const auth::Secret& secret, const PortRange& ports = {});

  // Stops serving: closes every client connection (their pending calls fail with RemoteError)
  // and joins the thread. Never throws.
  ~TcpStoreServer();

  TcpStoreServer(const TcpStoreServer&) = delete;
  TcpStoreServer& operator=(const TcpStoreServer&) = delete;

  // The port actually bound (useful with port 0).
  int port() const { return port_; }

 private:
  TcpStoreServer(std::unique_ptr<detail::ServerLoop> loop, int port);

  std::unique_ptr<detail::ServerLoop> loop_;
  int port_;
  std::thread thread_;  // runs loop_->run(); joined in the destructor before loop_ is destroyed
};

}  // namespace weft::store
