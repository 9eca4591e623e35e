// SPDX-License-Identifier: Apache-2.0
// The TCP store server's poll() loop: connections, framing, the key-value map and parked waiters.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/auth.h"
#include "common/deadline.h"
#include "runtime/store/socket.h"
#include "runtime/store/tcp_wire.h"

namespace weft::store::detail {

// Loop-bound: after construction, everything except stop() runs on the serving thread.
class ServerLoop {
 public:
  ServerLoop(std::vector<UniqueFd> listeners, std::string jobKey, const auth::Secret& secret);

  // Serves until stop() is called. Never throws.
  void run();
  // Wakes run() and makes it return; callable from any thread.
  void stop();

 private:
  // A parked Get or Wait.
  struct Pending {
    wire::Cmd cmd;
    std::vector<std::string> keys;
    std::optional<Clock::time_point> deadline;  // nullopt: no timeout
    std::string registeredKey;                  // the key whose waiter list holds this client
  };
  struct Client {
    uint64_t id = 0;
    UniqueFd fd;
    std::string in;   // received bytes not yet parsed (at most one frame plus one read)
    std::string out;  // reply bytes not yet sent, from outPos
    size_t outPos = 0;
    std::optional<auth::Nonce> challenge;  // ours, sent in answer to its Hello
    std::string clientNonce;
    bool greeted = false;  // Hello and Auth accepted
    bool closing = false;  // close once out is flushed (after Rejected)
    bool dead = false;     // closed; erased at the end of the loop iteration
    std::optional<Pending> pending;
  };

  void serveOnce();
  int pollTimeout() const;
  void acceptAll();
  void readFrom(uint64_t id);
  void process(uint64_t id);
  void handle(uint64_t id, wire::Request& req);
  void tryComplete(uint64_t id);
  void notify(const std::string& key);
  void expireTimeouts();
  void reply(Client& c, wire::Status status, std::string_view payload);
  void flush(Client& c);
  void drop(uint64_t id, const char* why);
  void unregister(uint64_t id, Client& c);
  Client* find(uint64_t id);

  std::vector<UniqueFd> listeners_;
  UniqueFd wake_;  // eventfd written by stop()
  const std::string jobKey_;
  const auth::Secret secret_;
  std::unordered_map<uint64_t, Client> clients_;
  uint64_t nextId_ = 1;
  std::unordered_map<std::string, std::string> data_;
  std::unordered_map<std::string, std::vector<uint64_t>> waiters_;  // key -> parked client ids
  Clock::time_point acceptPausedUntil_{};  // after EMFILE, stop accepting for a moment
  bool stopped_ = false;
};

}  // namespace weft::store::detail
