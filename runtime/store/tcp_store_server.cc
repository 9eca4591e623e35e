// SPDX-License-Identifier: Apache-2.0
// TcpStoreServer: owns the listening sockets and the thread that runs the server loop.
#include "runtime/store/tcp_store_server.h"

#include <pthread.h>

#include "common/log.h"
#include "runtime/store/server_loop.h"
#include "runtime/store/socket.h"

namespace weft::store {

std::unique_ptr<TcpStoreServer> TcpStoreServer::start(const std::string& bindHost, int port, std::string jobKey,
                                                     const auth::Secret& secret, const PortRange& ports) {
  int bound = 0;
  auto listeners = port == 0 ? detail::listenOn(bindHost, ports, &bound) : detail::listenOn(bindHost, port, &bound);
  auto loop = std::make_unique<detail::ServerLoop>(std::move(listeners), std::move(jobKey), secret);
  WEFT_LOG(Info, "store server listening on %s port %d", bindHost.empty() ? "all interfaces" : bindHost.c_str(),
           bound);
  return std::unique_ptr<TcpStoreServer>(new TcpStoreServer(std::move(loop), bound));
}

TcpStoreServer::TcpStoreServer(std::unique_ptr<detail::ServerLoop> loop, int port)
    : loop_(std::move(loop)), port_(port), thread_([l = loop_.get()] {
        pthread_setname_np(pthread_self(), "weft-store");
        l->run();
      }) {}

TcpStoreServer::~TcpStoreServer() {
  loop_->stop();
  thread_.join();
}

}  // namespace weft::store
