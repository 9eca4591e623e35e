// SPDX-License-Identifier: Apache-2.0
// Forming communicators: unique id + rank, all ranks as threads, and from the environment.
#include "runtime/init.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>

#include <exception>
#include <mutex>
#include <thread>

#include "common/error.h"
#include "runtime/bootstrap.h"
#include "runtime/launch_env.h"
#include "runtime/store/file_store.h"
#include "runtime/store/hash_store.h"
#include "runtime/store/prefix_store.h"
#include "runtime/store/tcp_store.h"
#include "runtime/store/tcp_store_server.h"
#include "transport/tcp/interfaces.h"

namespace weft::runtime {
namespace {

// Servers started by weftGetUniqueId live until the process exits, like NCCL's root thread.
std::mutex gServersMu;
std::vector<std::unique_ptr<store::TcpStoreServer>>& servers() {
  static std::vector<std::unique_ptr<store::TcpStoreServer>> s;
  return s;
}

// An address other hosts can reach: the first non-loopback IPv4 interface that is up.
std::string reachableAddress() {
  ifaddrs* list = nullptr;
  std::string found = "127.0.0.1";
  if (::getifaddrs(&list) != 0) return found;
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET) continue;
    if ((i->ifa_flags & IFF_UP) == 0 || (i->ifa_flags & IFF_LOOPBACK) != 0) continue;
    char buf[INET_ADDRSTRLEN];
    auto* sin = reinterpret_cast<sockaddr_in*>(i->ifa_addr);
    if (::inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf))) {
      found = buf;
      break;
    }
  }
  ::freeifaddrs(list);
  return found;
}

// Each process numbers its weftCommInitFromEnv calls: every rank makes them in the same order,
// so the n-th communicator of each rank meets the others under the same key prefix.
std::string nextEnvScope() {
  static std::atomic<int> counter{0};
  return "weft/env/" + std::to_string(counter++);
}

}  // namespace

void makeUniqueId(char (&id)[kUniqueIdBytes], const Config& config) {
  // A fresh secret per id (Note [Job secret]); the store's job key is derived from it.
  UniqueId u;
  u.secret = auth::randomBytes();
  // The server listens only on the address the id names: the interface WEFT_SOCKET_IFNAME chooses,
  // else the first non-loopback IPv4 one; on a port of WEFT_PORT_RANGE where that is set.
  const std::string host = config.socketIfname.empty() ? reachableAddress()
                                                       : transport::tcp::chooseInterface(config.socketIfname).addr.host();
  auto server = store::TcpStoreServer::start(host, 0, u.key(), u.secret, config.portRange);
  u.host = host;
  u.port = uint16_t(server->port());
  encodeUniqueId(u, id);
  std::lock_guard<std::mutex> lock(gServersMu);
  servers().push_back(std::move(server));
}

std::unique_ptr<Communicator> initRank(const char (&id)[kUniqueIdBytes], int nranks, int rank,
                                       const Config& config) {
  const UniqueId u = decodeUniqueId(id);
  Config withSecret = config;  // the id's secret is the job's, whatever WEFT_SECRET says
  withSecret.secret = u.secret;
  withSecret.secretSet = true;
  auto tcp = store::TcpStore::connect(u.host, u.port, u.key(), u.secret, Deadline::after(config.bootstrapTimeoutSeconds));
  auto scoped = std::make_shared<store::PrefixStore>("weft/uid", tcp);
  return Communicator::create(scoped, rank, nranks, withSecret);
}

std::vector<std::unique_ptr<Communicator>> initAll(int n, const Config& config) {
  auto shared = std::make_shared<store::HashStore>();
  Config withSecret = config;  // thread ranks share one process: any secret they agree on
  if (!withSecret.secretSet) withSecret.secret = auth::randomBytes();
  std::vector<std::unique_ptr<Communicator>> comms(static_cast<size_t>(n));
  std::vector<std::exception_ptr> errors(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  threads.reserve(size_t(n));
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      try {
        comms[size_t(r)] = Communicator::create(shared, r, n, withSecret);
      } catch (...) {
        errors[size_t(r)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return comms;
}

std::unique_ptr<Communicator> initFromEnv(const Config& config) {
  const LaunchEnv env = readLaunchEnv(config);
  Config withSecret = config;
  if (!withSecret.secretSet) {
    // Note [Job secret]: without WEFT_SECRET every rank derives the same one from the job id,
    // which keeps jobs apart but not someone who knows the id out.
    withSecret.secret = auth::derived(env.jobKey);
    if (env.method == LaunchEnv::Method::Tcp) {
      WEFT_LOG(Info, "WEFT_SECRET is not set: connections prove a secret derived from the job id (set WEFT_SECRET "
                     "to the same 64 hex digits on every rank to keep strangers out)");
    }
  }
  std::shared_ptr<store::Store> base;
  std::shared_ptr<void> keepAlive;
  const Deadline deadline = Deadline::after(config.bootstrapTimeoutSeconds);
  switch (env.method) {
    case LaunchEnv::Method::Local:
      base = std::make_shared<store::HashStore>();
      break;
    case LaunchEnv::Method::File:
      base = std::make_shared<store::FileStore>(env.path);
      break;
    case LaunchEnv::Method::Tcp:
      // torchrun's convention: rank 0 hosts the store on MASTER_PORT, every rank is a client.
      if (env.rank == 0) keepAlive = store::TcpStoreServer::start("", env.port, env.jobKey, withSecret.secret);
      base = store::TcpStore::connect(env.host, env.port, env.jobKey, withSecret.secret, deadline);
      break;
  }
  auto scoped = std::make_shared<store::PrefixStore>(nextEnvScope(), base);
  auto comm = Communicator::create(scoped, env.rank, env.size, withSecret, std::move(keepAlive));
  // Every rank is done with the file (see connectRanks): leave nothing behind.
  if (env.method == LaunchEnv::Method::File && env.rank == 0) {
    std::static_pointer_cast<store::FileStore>(base)->removeFile();
  }
  return comm;
}

}  // namespace weft::runtime
