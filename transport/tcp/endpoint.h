// SPDX-License-Identifier: Apache-2.0
// The TCP Endpoint: local send and receive slot rings, moved over one or more nonblocking
// sockets as framed messages (Note [TCP framing]).
#pragma once

#include <atomic>
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
// {seq k, payload bytes, stamp, check word} followed by the payload, and travels on socket k % nsocks, so each
// socket carries its share in order and the receiver knows where to look for message k.
// The sender keeps `slots` slot buffers: a slot is handed out by trySendSlot, queued by
// postSend and written straight from the buffer (writev of header and payload), and is free
// again once fully written. The receiver reads each message straight into the receive slot
// k % slots, and only while that slot is free; when all are full it stops reading and TCP's
// flow control stops the sender. Per socket, "next" is the next message number it handles;
// message k is done iff next[k % nsocks] > k, so the first not-done message is min(next).

// Concurrency: the driving thread and the progress threads (Note [TCP progress]) all pump. Each
// connection has its own lock and is pumped by whoever gets it (kick(): a thread that finds it
// taken leaves a "pending" mark that the holder honours before it lets go, so no request to pump
// is lost). What the driving thread publishes (sendHead_ after a slot's size, recvTail_) and what
// a connection publishes (its sendNext and recvNext after a message's size) are atomics, written
// after the data they cover (release) and read before using it (acquire).

// Loop-bound for its callers (one driving thread); thread-safe for pumping. Owns its sockets;
// shares the Poller with its transport (either may go first).
class TcpEndpoint final : public Endpoint {
 public:
  // `keepaliveSeconds`: what its sockets were given (setKeepalive), for the error it reports.
  TcpEndpoint(int peer, uint32_t slots, size_t slotBytes, std::vector<Socket> socks,
              std::shared_ptr<Poller> poller, double keepaliveSeconds = 0);
  ~TcpEndpoint() override;
  void abandon() override { abandoned_ = true; }
  TcpEndpoint(const TcpEndpoint&) = delete;
  TcpEndpoint& operator=(const TcpEndpoint&) = delete;

  int peer() const override { return peer_; }
  size_t slotBytes() const override { return slotBytes_; }
  using Endpoint::trySendSlot;
  std::byte* trySendSlot(size_t bytes) override;
  void postSend(size_t bytes, Stamp stamp) override;
  void postSendFrom(const std::byte* src, size_t bytes, Stamp stamp) override;
  bool sendsFromCaller() const override { return true; }
  bool sendsDrained() override;
  const std::byte* tryRecvSlot(size_t* bytes) override;
  Stamp recvStamp() const override { return recvStamp_; }
  void releaseRecv() override;

  // Moves what it can on every connection without blocking and updates the epoll interest; true
  // if bytes moved or a connection ended (and then bumps the poller's counter). Never throws:
  // a protocol error is kept and thrown by the next Endpoint call. Thread-safe.
  bool pump();
  // The same for connection `i` alone (a progress thread's share). Thread-safe.
  void pumpConnection(size_t i);
  // True when a connection to the peer ended or failed and no received chunk is left unread.
  bool gone();

 private:
  struct Conn {
    Socket sock;
    size_t index = 0;
    std::mutex mu;                        // guards the unmarked fields below
    std::atomic<bool> pending{false};     // someone asked for a pump while it was locked
    std::atomic<uint64_t> sendNext{0};    // next message number this socket writes
    size_t sendOff = 0;                   // bytes of it (header + payload) already written
    std::atomic<uint64_t> recvNext{0};    // next message number this socket reads
    MsgHeader hdr{};                      // header of message recvNext
    size_t hdrGot = 0;
    size_t payGot = 0;
    std::atomic<bool> readDone{false};    // end of stream or error while reading
    std::atomic<bool> writeDone{false};   // error while writing
    uint32_t events = 0;                  // current epoll interest
  };
  // Pumps c now, or leaves a mark for the thread holding it; true if this call moved bytes. With
  // request false it only honours marks left by others.
  bool kick(Conn& c, bool request = true);
  bool pumpLocked(Conn& c);
  bool pumpSend(Conn& c);
  bool pumpRecv(Conn& c);
  void headerArrived(Conn& c);
  void fail(Conn& c, bool reading, int err);
  uint64_t sendDone() const;
  uint64_t recvDone() const;
  void throwIfBroken();

  const int peer_;
  const double keepaliveSeconds_;
  const uint32_t slots_;
  const size_t slotBytes_;
  const std::shared_ptr<Poller> poller_;
  bool abandoned_ = false;  // abandon(): the destructor does not flush
  uint64_t id_ = 0;
  size_t nconns_ = 0;
  std::unique_ptr<Conn[]> conns_;
  std::vector<std::byte> sendBuf_;  // slots_ * slotBytes_
  std::vector<std::byte> recvBuf_;
  std::vector<uint64_t> sendSizes_;
  std::vector<const std::byte*> sendFrom_;  // a message's payload in caller memory, or null: its slot
  std::vector<Stamp> sendStamps_;
  std::vector<uint64_t> recvSizes_;
  std::vector<Stamp> recvStamps_;  // published with recvSizes_
  Stamp recvStamp_;                // of the chunk tryRecvSlot returned
  std::atomic<uint64_t> sendHead_{0};  // messages posted (driving thread)
  std::atomic<uint64_t> recvTail_{0};  // messages released (driving thread)
  std::atomic<bool> broken_{false};    // error_ is set
  std::mutex errorMu_;
  std::string error_;                  // a protocol error seen while pumping
};

}  // namespace weft::transport::tcp
