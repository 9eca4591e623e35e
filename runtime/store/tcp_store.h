// SPDX-License-Identifier: Apache-2.0
// The client side of the TCP store (c10d TCPStore): a Store whose data lives in a TcpStoreServer.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/auth.h"
#include "runtime/store/socket.h"
#include "runtime/store/store.h"

namespace weft::store {

// Thread-safe. Each call takes a connection of its own from a small pool (opening another one
// when all are busy), so a thread blocked in get() never holds up another thread's set() of
// the key it is waiting for. Errors name the store ("tcp://host:port"): Timeout when a deadline
// passes, RemoteError when the connection is lost or the server belongs to another job.
class TcpStore : public Store {
 public:
  // Resolves host (IPv4 or IPv6) and connects, retrying with a short backoff until the
  // deadline since the server may start later, then presents jobKey and proves it knows
  // `secret` (Note [Job secret] in common/auth.h), as the server must. Throws Timeout ("timed out
  // after 30 s connecting to the store at tcp://127.0.0.1:29500 (last error: ...)"),
  // RemoteError ("the store at tcp://... belongs to another job (job key mismatch)", or either
  // side's proof of the secret refused) or
  // InvalidArgument for a port out of range.
  static std::shared_ptr<TcpStore> connect(const std::string& host, int port, std::string jobKey,
                                           const auth::Secret& secret, Deadline deadline);

  void set(const std::string& key, const Bytes& value) override;
  Bytes get(const std::string& key, Deadline deadline) override;
  int64_t add(const std::string& key, int64_t delta) override;
  void wait(const std::vector<std::string>& keys, Deadline deadline) override;
  std::string describe() const override { return url_; }

  // Bounds set() and add(), which take no deadline (default 300 s).
  void setOperationTimeout(double seconds) { opTimeoutSec_ = seconds; }

 private:
  struct Reply {
    uint8_t status;
    std::string payload;
  };

  TcpStore(std::string host, int port, std::string jobKey, const auth::Secret& secret);

  // Connects and greets. With retry, keeps trying until the deadline (first connection);
  // without, one round of attempts (the server was up before, so refusal means it is gone).
  detail::UniqueFd open(const Deadline& deadline, bool retry);
  detail::Io greet(int fd, const Deadline& deadline, int* err);
  detail::Io greetStep(int fd, const std::string& request, size_t most, std::string* payload, const Deadline& deadline,
                       int* err, const char* refusal);
  // One request and its reply on a pooled connection. `what` completes error messages
  // ("waiting for key 'x'"); a Timeout here means the server did not answer in time.
  Reply roundTrip(const std::string& request, const Deadline& deadline, const std::string& what);

  const std::string host_;
  const int port_;
  const std::string jobKey_;
  const auth::Secret secret_;
  const std::string url_;
  std::atomic<double> opTimeoutSec_{300};

  std::mutex mu_;                         // leaf lock; guards idle_ only, never held during I/O
  std::vector<detail::UniqueFd> idle_;    // greeted connections with no request in flight
};

}  // namespace weft::store
