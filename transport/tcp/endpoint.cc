// SPDX-License-Identifier: Apache-2.0
// Slot rings and nonblocking socket I/O of TcpEndpoint (Note [TCP framing]).
#include "transport/tcp/endpoint.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "common/error.h"
#include "common/log.h"

namespace weft::transport::tcp {
namespace {

constexpr double kFlushSeconds = 5;

bool wouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

}  // namespace

TcpEndpoint::TcpEndpoint(int peer, uint32_t slots, size_t slotBytes, std::vector<Socket> socks,
                         std::shared_ptr<Poller> poller)
    : peer_(peer), slots_(slots), slotBytes_(slotBytes), poller_(std::move(poller)),
      sendBuf_(size_t(slots) * slotBytes), recvBuf_(size_t(slots) * slotBytes),
      sendSizes_(slots), recvSizes_(slots) {
  for (size_t i = 0; i < socks.size(); ++i) conns_.push_back(Conn{std::move(socks[i]), i, 0, i});
  id_ = poller_->add(this);
  pump();  // also puts the sockets into the epoll set
}

TcpEndpoint::~TcpEndpoint() {
  // A rank may post its last chunk and leave at once: give queued bytes a few seconds to go.
  const Deadline deadline = Deadline::after(kFlushSeconds);
  for (;;) {
    std::unique_lock lock(mu_);
    pumpLocked();
    std::vector<pollfd> fds;
    for (const Conn& c : conns_) {
      if (!c.writeDone && c.sendNext < sendHead_) fds.push_back({c.sock.fd(), POLLOUT, 0});
    }
    lock.unlock();
    if (fds.empty()) break;
    if (deadline.expired()) {
      WEFT_LOG(Warn, "tcp: closing the connection to rank %d with unsent chunks (it stopped reading)", peer_);
      break;
    }
    ::poll(fds.data(), fds.size(), 10);
  }
  poller_->remove(id_);
  for (Conn& c : conns_) poller_->watch(c.sock.fd(), id_, c.events, 0);
}

uint64_t TcpEndpoint::sendDone() const {
  uint64_t done = sendHead_;
  for (const Conn& c : conns_) done = std::min(done, c.sendNext);
  return done;
}

uint64_t TcpEndpoint::recvDone() const {
  uint64_t done = conns_.front().recvNext;
  for (const Conn& c : conns_) done = std::min(done, c.recvNext);
  return done;
}

std::byte* TcpEndpoint::trySendSlot() {
  std::lock_guard lock(mu_);
  pumpLocked();
  throwIfBroken();
  if (sendHead_ - sendDone() >= slots_) return nullptr;
  return sendBuf_.data() + (sendHead_ % slots_) * slotBytes_;
}

void TcpEndpoint::postSend(size_t bytes) {
  std::lock_guard lock(mu_);
  WEFT_CHECK(bytes <= slotBytes_, "chunk larger than a slot");
  WEFT_CHECK(sendHead_ - sendDone() < slots_, "postSend without a free slot");
  sendSizes_[sendHead_ % slots_] = bytes;
  ++sendHead_;
  pumpLocked();
}

const std::byte* TcpEndpoint::tryRecvSlot(size_t* bytes) {
  std::lock_guard lock(mu_);
  pumpLocked();
  if (recvTail_ == recvDone()) {
    throwIfBroken();
    return nullptr;
  }
  const size_t idx = recvTail_ % slots_;
  *bytes = recvSizes_[idx];
  return recvBuf_.data() + idx * slotBytes_;
}

void TcpEndpoint::releaseRecv() {
  std::lock_guard lock(mu_);
  WEFT_CHECK(recvTail_ < recvDone(), "releaseRecv without a received chunk");
  ++recvTail_;
  pumpLocked();
}

bool TcpEndpoint::gone() {
  std::lock_guard lock(mu_);
  bool ended = !error_.empty();
  for (const Conn& c : conns_) ended |= c.readDone || c.writeDone;
  return ended && recvTail_ == recvDone();
}

void TcpEndpoint::throwIfBroken() const {
  if (!error_.empty()) throw RemoteError(error_);
}

bool TcpEndpoint::pump() {
  std::lock_guard lock(mu_);
  return pumpLocked();
}

bool TcpEndpoint::pumpLocked() {
  bool progress = false;
  for (Conn& c : conns_) {
    progress |= pumpSend(c);
    progress |= pumpRecv(c);
    uint32_t want = 0;
    const bool slotBlocked = c.hdrGot == kHeaderBytes && c.recvNext >= recvTail_ + slots_;
    if (!c.readDone && error_.empty() && !slotBlocked) want |= EPOLLIN;
    if (!c.writeDone && c.sendNext < sendHead_) want |= EPOLLOUT;
    poller_->watch(c.sock.fd(), id_, c.events, want);
  }
  if (progress) poller_->bump();
  return progress;
}

void TcpEndpoint::fail(Conn& c, bool reading, int err) {
  (reading ? c.readDone : c.writeDone) = true;
  WEFT_LOG(Trace, "tcp: connection %zu to rank %d ended while %s: %s", size_t(&c - conns_.data()), peer_,
           reading ? "reading" : "writing", err == 0 ? "end of stream" : std::strerror(err));
}

bool TcpEndpoint::pumpSend(Conn& c) {
  constexpr int kBatch = 8;  // messages per sendmsg
  const uint64_t stride = conns_.size();
  bool progress = false;
  while (!c.writeDone && c.sendNext < sendHead_) {
    MsgHeader hdrs[kBatch];
    iovec iov[2 * kBatch];
    size_t cnt = 0, total = 0, skip = c.sendOff;
    uint64_t k = c.sendNext;
    for (int m = 0; m < kBatch && k < sendHead_; ++m, k += stride) {
      hdrs[m] = MsgHeader{k, sendSizes_[k % slots_]};
      if (skip < kHeaderBytes) {
        iov[cnt++] = {reinterpret_cast<std::byte*>(&hdrs[m]) + skip, kHeaderBytes - skip};
        skip = 0;
      } else {
        skip -= kHeaderBytes;
      }
      if (hdrs[m].bytes > skip) {
        iov[cnt++] = {sendBuf_.data() + (k % slots_) * slotBytes_ + skip, hdrs[m].bytes - skip};
      }
      total += kHeaderBytes + hdrs[m].bytes - (m == 0 ? c.sendOff : 0);
      skip = 0;
    }
    msghdr msg{};
    msg.msg_iov = iov;
    msg.msg_iovlen = cnt;
    const ssize_t w = ::sendmsg(c.sock.fd(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (w < 0) {
      if (errno == EINTR) continue;
      if (!wouldBlock(errno)) fail(c, false, errno), progress = true;
      break;
    }
    progress = true;
    for (size_t left = size_t(w); left > 0;) {
      const size_t rest = kHeaderBytes + sendSizes_[c.sendNext % slots_] - c.sendOff;
      if (left < rest) {
        c.sendOff += left;
        break;
      }
      left -= rest;
      c.sendNext += stride;
      c.sendOff = 0;
    }
    if (size_t(w) < total) break;  // the socket buffer is full
  }
  return progress;
}

void TcpEndpoint::headerArrived(Conn& c) {
  if (c.hdr.seq != c.recvNext) {
    error_ = "tcp: rank " + std::to_string(peer_) + " sent message #" + std::to_string(c.hdr.seq) +
             " where #" + std::to_string(c.recvNext) + " was expected (corrupted stream)";
  } else if (c.hdr.bytes > slotBytes_) {
    error_ = "tcp: rank " + std::to_string(peer_) + " sent a chunk of " + std::to_string(c.hdr.bytes) +
             " bytes, larger than a slot of " + std::to_string(slotBytes_) +
             " (do all ranks use the same slot size?)";
  }
  if (!error_.empty()) WEFT_LOG(Warn, "%s", error_.c_str());
}

bool TcpEndpoint::pumpRecv(Conn& c) {
  const uint64_t stride = conns_.size();
  bool progress = false;
  while (!c.readDone && error_.empty()) {
    const bool wantHeader = c.hdrGot < kHeaderBytes;
    if (!wantHeader && c.recvNext >= recvTail_ + slots_) break;  // no free slot: back-pressure
    std::byte* dst = recvBuf_.data() + (c.recvNext % slots_) * slotBytes_;
    const size_t need = wantHeader ? 0 : c.hdr.bytes - c.payGot;
    MsgHeader next;
    ssize_t r = 0;
    if (wantHeader) {
      r = ::recv(c.sock.fd(), reinterpret_cast<std::byte*>(&c.hdr) + c.hdrGot, kHeaderBytes - c.hdrGot,
                 MSG_DONTWAIT);
    } else if (need > 0) {
      // Read the next message's header along with the payload, saving a system call.
      iovec iov[2] = {{dst + c.payGot, need}, {&next, kHeaderBytes}};
      r = ::readv(c.sock.fd(), iov, 2);
    }
    if (r < 0) {
      if (errno == EINTR) continue;
      if (!wouldBlock(errno)) fail(c, true, errno), progress = true;
      break;
    }
    if (r == 0 && (wantHeader || need > 0)) {
      fail(c, true, 0);
      progress = true;
      break;
    }
    progress |= r > 0;
    if (wantHeader) {
      c.hdrGot += size_t(r);
      if (c.hdrGot == kHeaderBytes) headerArrived(c);
      continue;
    }
    if (size_t(r) < need) {
      c.payGot += size_t(r);
      continue;
    }
    // Message complete (r == need == 0 for an empty one).
    recvSizes_[c.recvNext % slots_] = c.hdr.bytes;
    c.recvNext += stride;
    c.payGot = 0;
    c.hdrGot = size_t(r) - need;
    progress = true;
    std::memcpy(&c.hdr, &next, c.hdrGot);
    if (c.hdrGot == kHeaderBytes) headerArrived(c);
  }
  return progress;
}

}  // namespace weft::transport::tcp
