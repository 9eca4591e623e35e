// SPDX-License-Identifier: Apache-2.0
// The TCP Endpoint: local send and receive slot rings, moved over one or more nonblocking
// sockets as framed messages (Note [TCP framing]).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "transport/tcp/poller.h"
#include "transport/tcp/socket.h"
#include "transport/tcp/wire.h"
#include "transport/transport.h"

namespace weft::transport::tcp {

// Note [TCP framing]
// Each direction of a pair carries messages numbered 0, 1, 2, ...; message k is a MsgHeader
// {seq k, payload bytes} followed by the payload, and travels on socket k % nsocks, so each
// socket carries its share in order and the receiver knows where to look for message k.
// The sender keeps `slots` slot buffers: a slot is handed out by trySendSlot, queued by
// postSend and written straight from the buffer (writev of header and payload), and is free
// again once fully written. The receiver reads each message straight into the receive slot
// k % slots, and only while that slot is free; when all are full it stops reading and TCP's
// flow control stops the sender. Per socket, "next" is the next message number it handles;
// message k is done iff next[k % nsocks] > k, so the first not-done message is min(next).

// Loop-bound for its callers (one driving thread); internally locked, because the transport's
// progress thread pumps it too (Note [TCP progress]). Owns its sockets; shares the Poller with
// its transport (either may go first).
class TcpEndpoint final : public Endpoint {
 public:
  TcpEndpoint(int peer, uint32_t slots, size_t slotBytes, std::vector<Socket> socks,
              std::shared_ptr<Poller> poller);
  ~TcpEndpoint() override;
  TcpEndpoint(const TcpEndpoint&) = delete;
  TcpEndpoint& operator=(const TcpEndpoint&) = delete;

  int peer() const override { return peer_; }
  size_t slotBytes() const override { return slotBytes_; }
  std::byte* trySendSlot() override;
  void postSend(size_t bytes) override;
  const std::byte* tryRecvSlot(size_t* bytes) override;
  void releaseRecv() override;

  // Moves what it can on every socket without blocking and updates the epoll interest; true
  // if bytes moved or a connection ended (and then bumps the poller's counter). Never throws:
  // a protocol error is kept and thrown by the next Endpoint call. Thread-safe.
  bool pump();
  // True when a connection to the peer ended or failed and no received chunk is left unread.
  bool gone();

 private:
  struct Conn {
    Socket sock;
    uint64_t sendNext;      // next message number this socket writes
    size_t sendOff = 0;     // bytes of it (header + payload) already written
    uint64_t recvNext;      // next message number this socket reads
    MsgHeader hdr{};        // header of message recvNext
    size_t hdrGot = 0;
    size_t payGot = 0;
    bool readDone = false;  // end of stream or error while reading
    bool writeDone = false; // error while writing
    uint32_t events = 0;    // current epoll interest
  };
  bool pumpLocked();
  bool pumpSend(Conn& c);
  bool pumpRecv(Conn& c);
  void headerArrived(Conn& c);
  void fail(Conn& c, bool reading, int err);
  uint64_t sendDone() const;
  uint64_t recvDone() const;
  void throwIfBroken() const;

  const int peer_;
  const uint32_t slots_;
  const size_t slotBytes_;
  const std::shared_ptr<Poller> poller_;
  uint64_t id_ = 0;
  std::mutex mu_;  // guards everything below (after Poller::mu_ in the lock order)
  std::vector<Conn> conns_;
  std::vector<std::byte> sendBuf_;  // slots_ * slotBytes_
  std::vector<std::byte> recvBuf_;
  std::vector<uint64_t> sendSizes_;
  std::vector<uint64_t> recvSizes_;
  uint64_t sendHead_ = 0;  // messages posted
  uint64_t recvTail_ = 0;  // messages released
  std::string error_;      // a protocol error seen while pumping
};

}  // namespace weft::transport::tcp
