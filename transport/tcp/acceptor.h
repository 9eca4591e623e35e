// SPDX-License-Identifier: Apache-2.0
// The passive half of TCP set-up: accepts connections on the listener, reads and checks their
// hellos, and hands each peer its sockets, stashing those of peers that came early.
#pragma once

#include <cstdint>
#include <map>
#include <utility>
#include <vector>

#include "common/deadline.h"
#include "transport/tcp/socket.h"
#include "transport/tcp/wire.h"

namespace weft::transport::tcp {

// Thread-compatible (used only during set-up, by one thread).
class Acceptor {
 public:
  // What a valid hello must say.
  struct Expect {
    int rank;
    int nranks;
    uint64_t tagHash;
    uint32_t slots;
    uint64_t slotBytes;
    int nsocks;
    auth::Secret secret;
  };
  Acceptor(Socket listener, const Expect& expect) : listener_(std::move(listener)), expect_(expect) {}

  // Accepts until all nsocks sockets of `peer` (a higher rank) arrived; returns them by index,
  // nonblocking with TCP_NODELAY. Connections with a bad hello are closed with a warning.
  // Throws Timeout naming the peer, InvalidArgument for a peer with other settings, SystemError.
  std::vector<Socket> take(int peer, const Deadline& deadline);

  // Closes the listener and whatever is still pending or stashed (with a warning).
  void close();

 private:
  // A connection reads its Hello, is sent a Challenge, then reads the connector's proof.
  struct Pending {
    Socket sock;
    Hello hello;
    size_t got = 0;         // of the hello, then of the proof
    bool challenged = false;
    auth::Nonce nonce{};    // ours, once challenged
    Digest proof{};
  };
  void acceptAll();
  // Reads more of p's hello or proof; false when the connection is finished with (stashed or
  // dropped).
  bool readMore(Pending& p);
  // Challenges p if its hello is valid (true); closes it with a warning otherwise.
  bool challenge(Pending& p);
  // Stashes p's socket if its proof is right; closes it with a warning otherwise.
  void admit(Pending& p);
  // Throws InvalidArgument when a peer of this job uses other settings.
  void checkSettings(const Hello& h) const;

  Socket listener_;
  Expect expect_;
  std::vector<Pending> pending_;
  std::map<std::pair<int, int>, Socket> stash_;  // (rank, index) -> socket
  std::vector<int> taken_;                       // peers already handed out
};

}  // namespace weft::transport::tcp
