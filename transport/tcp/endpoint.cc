// SPDX-License-Identifier: Apache-2.0
// Slot rings and nonblocking socket I/O of TcpEndpoint (Note [TCP framing]).
#include "transport/tcp/endpoint.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "common/error.h"
#include "common/log.h"

namespace weft::transport::tcp {
namespace {

constexpr double kFlushSeconds = 5;

bool wouldBlock(int err) { return err == EAGAIN || err == EWOULDBLOCK; }

}  // namespace

TcpEndpoint::TcpEndpoint(int peer, uint32_t slots, size_t slotBytes, std::vector<Socket> socks,
                         std::shared_ptr<Poller> poller, double keepaliveSeconds)
    : peer_(peer), keepaliveSeconds_(keepaliveSeconds), slots_(slots), slotBytes_(slotBytes), poller_(std::move(poller)), nconns_(socks.size()),
      conns_(new Conn[socks.size()]), sendBuf_(size_t(slots) * slotBytes), recvBuf_(size_t(slots) * slotBytes),
      sendSizes_(slots), sendFrom_(slots, nullptr), sendStamps_(slots), recvSizes_(slots), recvStamps_(slots) {
  for (size_t i = 0; i < nconns_; ++i) {
    Conn& c = conns_[i];
    c.sock = std::move(socks[i]);
    c.index = i;
    c.sendNext.store(i);
    c.recvNext.store(i);
  }
  id_ = poller_->add(this);
  pump();  // also puts the sockets into the epoll sets
}

TcpEndpoint::~TcpEndpoint() {
  // A rank may post its last chunk and leave at once: give queued bytes a few seconds to go, once
  // for all the transport's endpoints (Poller::closeDeadline), and none after an abort: nothing
  // the aborted calls queued is owed to anyone. (Deadline::after(0) would mean "never".)
  const Deadline deadline = poller_->closeDeadline(kFlushSeconds);
  for (;;) {
    pump();
    std::vector<pollfd> fds;
    const uint64_t head = sendHead_.load(std::memory_order_acquire);
    for (size_t i = 0; i < nconns_; ++i) {
      const Conn& c = conns_[i];
      if (!c.writeDone.load() && c.sendNext.load(std::memory_order_acquire) < head) {
        fds.push_back({c.sock.fd(), POLLOUT, 0});
      }
    }
    if (fds.empty() || abandoned_) break;
    if (deadline.expired()) {
      WEFT_LOG(Warn, "tcp: closing the connection to rank %d with unsent chunks (it stopped reading)", peer_);
      break;
    }
    ::poll(fds.data(), fds.size(), 10);
  }
  poller_->remove(id_);
  for (size_t i = 0; i < nconns_; ++i) {
    std::lock_guard lock(conns_[i].mu);
    poller_->watch(conns_[i].sock.fd(), id_, i, conns_[i].events, 0);
  }
}

uint64_t TcpEndpoint::sendDone() const {
  uint64_t done = sendHead_.load(std::memory_order_relaxed);
  for (size_t i = 0; i < nconns_; ++i) done = std::min(done, conns_[i].sendNext.load(std::memory_order_acquire));
  return done;
}

uint64_t TcpEndpoint::recvDone() const {
  uint64_t done = conns_[0].recvNext.load(std::memory_order_acquire);
  for (size_t i = 1; i < nconns_; ++i) done = std::min(done, conns_[i].recvNext.load(std::memory_order_acquire));
  return done;
}

std::byte* TcpEndpoint::trySendSlot(size_t) {  // fixed slots
  pump();
  throwIfBroken();
  const uint64_t head = sendHead_.load(std::memory_order_relaxed);
  if (head - sendDone() >= slots_) return nullptr;
  return sendBuf_.data() + (head % slots_) * slotBytes_;
}

void TcpEndpoint::postSend(size_t bytes, Stamp stamp) { postSendFrom(nullptr, bytes, stamp); }

bool TcpEndpoint::sendsDrained() {
  pump();
  return sendDone() == sendHead_.load(std::memory_order_relaxed);
}

void TcpEndpoint::postSendFrom(const std::byte* src, size_t bytes, Stamp stamp) {
  WEFT_CHECK(bytes <= slotBytes_, "chunk larger than a slot");
  const uint64_t head = sendHead_.load(std::memory_order_relaxed);
  WEFT_CHECK(head - sendDone() < slots_, "postSend without a free slot");
  sendSizes_[head % slots_] = bytes;
  sendFrom_[head % slots_] = src;
  sendStamps_[head % slots_] = stamp;
  sendHead_.store(head + 1, std::memory_order_release);
  kick(conns_[head % nconns_]);  // the connection that carries it
}

const std::byte* TcpEndpoint::tryRecvSlot(size_t* bytes) {
  pump();
  const uint64_t tail = recvTail_.load(std::memory_order_relaxed);
  if (tail == recvDone()) {
    throwIfBroken();
    return nullptr;
  }
  const size_t idx = tail % slots_;
  *bytes = recvSizes_[idx];
  recvStamp_ = recvStamps_[idx];
  return recvBuf_.data() + idx * slotBytes_;
}

void TcpEndpoint::releaseRecv() {
  const uint64_t tail = recvTail_.load(std::memory_order_relaxed);
  WEFT_CHECK(tail < recvDone(), "releaseRecv without a received chunk");
  recvTail_.store(tail + 1, std::memory_order_release);
  // The freed slot takes message tail + slots, which its connection may have been holding back.
  kick(conns_[(tail + slots_) % nconns_]);
}

bool TcpEndpoint::gone() {
  bool ended = broken_.load();
  for (size_t i = 0; i < nconns_; ++i) ended |= conns_[i].readDone.load() || conns_[i].writeDone.load();
  return ended && recvTail_.load(std::memory_order_relaxed) == recvDone();
}

void TcpEndpoint::throwIfBroken() {
  if (!broken_.load(std::memory_order_acquire)) return;
  std::lock_guard lock(errorMu_);
  throw RemoteError(error_, peer_);
}

bool TcpEndpoint::pump() {
  bool progress = false;
  for (size_t i = 0; i < nconns_; ++i) progress |= kick(conns_[i]);
  return progress;
}

void TcpEndpoint::pumpConnection(size_t i) {
  if (i >= nconns_) return;
  // A progress thread waits for the lock: were it to leave the socket to the holder, its
  // level-triggered epoll set would report the same readiness again at once, and it would spin.
  Conn& c = conns_[i];
  {
    std::lock_guard lock(c.mu);
    c.pending.exchange(false, std::memory_order_acq_rel);
    pumpLocked(c);
  }
  kick(c, false);  // what others asked for meanwhile
}

bool TcpEndpoint::kick(Conn& c, bool request) {
  bool progress = false;
  // Whoever holds the lock sees the mark after it lets go and pumps again: "mark, then try the
  // lock" here against "unlock, then look for marks" there, with the marks seq_cst, so that one
  // of the two sees the other (a store-release or lock RMW followed by a seq_cst load is ordered
  // on x86 and ARMv8 alike; C++ fences would say so formally, but ThreadSanitizer cannot check
  // fences). The exchange reads the latest mark and acquires what its setter published
  // (sendHead_, recvTail_) before pumping.
  if (request) c.pending.store(true, std::memory_order_seq_cst);
  while (c.pending.load(std::memory_order_seq_cst) && c.mu.try_lock()) {
    c.pending.exchange(false, std::memory_order_acq_rel);
    progress |= pumpLocked(c);
    c.mu.unlock();
  }
  return progress;
}

bool TcpEndpoint::pumpLocked(Conn& c) {
  bool progress = pumpSend(c);
  progress |= pumpRecv(c);
  uint32_t want = 0;
  const uint64_t next = c.recvNext.load(std::memory_order_relaxed);
  const bool slotBlocked = c.hdrGot == kHeaderBytes && next >= recvTail_.load(std::memory_order_acquire) + slots_;
  if (!c.readDone.load() && !broken_.load() && !slotBlocked) want |= EPOLLIN;
  if (!c.writeDone.load() && c.sendNext.load(std::memory_order_relaxed) < sendHead_.load(std::memory_order_acquire)) {
    want |= EPOLLOUT;
  }
  poller_->watch(c.sock.fd(), id_, c.index, c.events, want);
  if (progress) poller_->bump();
  return progress;
}

void TcpEndpoint::fail(Conn& c, bool reading, int err) {
  WEFT_LOG(Trace, "tcp: connection %zu to rank %d ended while %s: %s", c.index, peer_,
           reading ? "reading" : "writing", err == 0 ? "end of stream" : std::strerror(err));
  if (err == ETIMEDOUT) {  // Note [TCP keepalive]: not an exit, a host that went silent
    char seconds[32];
    std::snprintf(seconds, sizeof(seconds), "%g", keepaliveSeconds_);
    std::lock_guard lock(errorMu_);
    if (!broken_.load()) {
      error_ = "tcp: rank " + std::to_string(peer_) + "'s host answered nothing for " + seconds +
               " s (WEFT_SOCKET_KEEPALIVE): it is down, or the network to it is cut";
    }
    broken_.store(true, std::memory_order_release);
  }
  (reading ? c.readDone : c.writeDone).store(true);
}

bool TcpEndpoint::pumpSend(Conn& c) {
  constexpr int kBatch = 8;  // messages per sendmsg
  const uint64_t stride = nconns_;
  const uint64_t head = sendHead_.load(std::memory_order_acquire);
  uint64_t sendNext = c.sendNext.load(std::memory_order_relaxed);
  bool progress = false;
  while (!c.writeDone.load() && sendNext < head) {
    MsgHeader hdrs[kBatch];
    iovec iov[2 * kBatch];
    size_t cnt = 0, total = 0, skip = c.sendOff;
    uint64_t k = sendNext;
    for (int m = 0; m < kBatch && k < head; ++m, k += stride) {
      const Stamp& stamp = sendStamps_[k % slots_];
      hdrs[m] = MsgHeader{k, sendSizes_[k % slots_], {stamp.lo, stamp.hi}, 0};
      hdrs[m].check = headerCheck(hdrs[m]);
      if (skip < kHeaderBytes) {
        iov[cnt++] = {reinterpret_cast<std::byte*>(&hdrs[m]) + skip, kHeaderBytes - skip};
        skip = 0;
      } else {
        skip -= kHeaderBytes;
      }
      if (hdrs[m].bytes > skip) {
        const std::byte* payload = sendFrom_[k % slots_] ? sendFrom_[k % slots_] : sendBuf_.data() + (k % slots_) * slotBytes_;
        iov[cnt++] = {const_cast<std::byte*>(payload) + skip, hdrs[m].bytes - skip};
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
      const size_t rest = kHeaderBytes + sendSizes_[sendNext % slots_] - c.sendOff;
      if (left < rest) {
        c.sendOff += left;
        break;
      }
      left -= rest;
      sendNext += stride;
      c.sendOff = 0;
    }
    c.sendNext.store(sendNext, std::memory_order_release);  // its slots may be reused
    if (size_t(w) < total) break;  // the socket buffer is full
  }
  return progress;
}

void TcpEndpoint::headerArrived(Conn& c) {
  std::string error;
  const uint64_t expected = c.recvNext.load(std::memory_order_relaxed);
  if (c.hdr.check != headerCheck(c.hdr)) {
    error = "tcp: rank " + std::to_string(peer_) + " sent a message header that fails its check (corrupted stream)";
  } else if (c.hdr.seq != expected) {
    error = "tcp: rank " + std::to_string(peer_) + " sent message #" + std::to_string(c.hdr.seq) + " where #" +
            std::to_string(expected) + " was expected (corrupted stream)";
  } else if (c.hdr.bytes > slotBytes_) {
    error = "tcp: rank " + std::to_string(peer_) + " sent a chunk of " + std::to_string(c.hdr.bytes) +
            " bytes, larger than a slot of " + std::to_string(slotBytes_) + " (do all ranks use the same slot size?)";
  }
  if (error.empty()) return;
  WEFT_LOG(Warn, "%s", error.c_str());
  std::lock_guard lock(errorMu_);
  if (!broken_.load()) error_ = error;
  broken_.store(true, std::memory_order_release);
}

bool TcpEndpoint::pumpRecv(Conn& c) {
  const uint64_t stride = nconns_;
  const uint64_t tail = recvTail_.load(std::memory_order_acquire);
  bool progress = false;
  while (!c.readDone.load() && !broken_.load()) {
    const bool wantHeader = c.hdrGot < kHeaderBytes;
    const uint64_t seq = c.recvNext.load(std::memory_order_relaxed);
    if (!wantHeader && seq >= tail + slots_) break;  // no free slot: back-pressure
    std::byte* dst = recvBuf_.data() + (seq % slots_) * slotBytes_;
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
    recvSizes_[seq % slots_] = c.hdr.bytes;
    recvStamps_[seq % slots_] = Stamp{c.hdr.stamp[0], c.hdr.stamp[1]};
    c.recvNext.store(seq + stride, std::memory_order_release);  // publishes the size too
    c.payGot = 0;
    c.hdrGot = size_t(r) - need;
    progress = true;
    std::memcpy(&c.hdr, &next, c.hdrGot);
    if (c.hdrGot == kHeaderBytes) headerArrived(c);
  }
  return progress;
}

}  // namespace weft::transport::tcp
