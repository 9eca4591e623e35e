// SPDX-License-Identifier: Apache-2.0
// The transport interface: one Transport per rank opens one Endpoint per peer. Endpoints move
// contiguous chunks through FIFOs of fixed-size slots and never block.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/deadline.h"
#include "transport/shared_memory.h"

namespace weft::transport {

// Note [Stamps]: every message carries 16 bytes chosen by its sender, which the transport
// delivers with it untouched (in the shm slot header, the TCP frame header, ahead of the UCX
// payload). Transports give them no meaning; the collectives layer puts the signature of the
// call that sent the message there and the receiver compares it with its own (Note [Signatures]
// in collectives/signature.h).
struct Stamp {
  uint64_t lo = 0;
  uint64_t hi = 0;
  friend bool operator==(const Stamp&, const Stamp&) = default;
};

// A link to one peer: a send FIFO towards it and a receive FIFO from it, each of slots of
// slotBytes(). Algorithms write into a send slot in place and read a received chunk in place, so a
// reduction can go straight from the peer's chunk and the local input into the next peer's slot
// (Note [Slot FIFOs] in transport/shm/fifo.h).
// Loop-bound: one thread at a time drives an endpoint (the thread running the collective).
class Endpoint {
 public:
  virtual ~Endpoint() = default;

  virtual int peer() const = 0;
  virtual size_t slotBytes() const = 0;

  // Send side. Never blocks. A writable slot for a message of at most `bytes` bytes (at most
  // slotBytes()), or nullptr while the FIFO has no room for it. Calling it again with the same
  // size before postSend returns the same slot. Transports with fixed slots ignore the size; the
  // shared-memory one packs messages by size (Note [Slot FIFOs]), so that small ones queue deep.
  virtual std::byte* trySendSlot(size_t bytes) = 0;
  std::byte* trySendSlot() { return trySendSlot(slotBytes()); }
  // Publishes the first `bytes` bytes of the slot from trySendSlot (no more than it was asked
  // for), with `stamp`, and wakes the peer.
  virtual void postSend(size_t bytes, Stamp stamp) = 0;
  // As postSend (after trySendSlot(n >= bytes) returned a slot), but the message is the `bytes` bytes at
  // `src`. A transport that can send straight from caller memory (tcp: writev from it) does, and
  // then `src` must stay unchanged until sendsDrained(); the others copy it into the slot.
  virtual void postSendFrom(const std::byte* src, size_t bytes, Stamp stamp) {
    std::memcpy(trySendSlot(bytes), src, bytes);
    postSend(bytes, stamp);
  }
  // Whether postSendFrom sends straight from caller memory (tcp) rather than copying it into the
  // slot; only then is it worth a step's while to make its output first and send from there.
  virtual bool sendsFromCaller() const { return false; }
  // False while a message posted with postSendFrom may still read caller memory. Never blocks.
  virtual bool sendsDrained() { return true; }
  // The communicator was aborted: whatever is still queued for the peer may be dropped when the
  // endpoint is destroyed, rather than flushed (TCP otherwise gives it a few seconds).
  virtual void abandon() {}

  // Note [Peer reads]: a link to a process on this host may read the peer's memory directly,
  // one copy instead of two through a FIFO: the peer sends the address of its buffer as a small
  // message, and this rank copies from there (process_vm_readv, or memcpy between thread ranks
  // of one process). Whether this link can (probed when it was opened):
  virtual bool canReadPeer() const { return false; }
  // Whether the peer is a thread of this process (its addresses are ours).
  virtual bool sharesAddressSpace() const { return false; }
  // Copies `bytes` bytes at the peer's address `remote` into `dst`. Blocks only for the copy.
  // Throws RemoteError when the peer's memory cannot be read (it exited, or sent a bad address).
  virtual void readPeer(uint64_t remote, void* dst, size_t bytes) {
    (void)remote, (void)dst, (void)bytes;
    throw std::logic_error("readPeer on a link that cannot read its peer");
  }
  // Copies `bytes` bytes from `src` to the peer's address `remote` (process_vm_writev, or memcpy
  // between thread ranks). Blocks only for the copy. Throws RemoteError when it cannot.
  virtual void writePeer(uint64_t remote, const void* src, size_t bytes) {
    (void)remote, (void)src, (void)bytes;
    throw std::logic_error("writePeer on a link that cannot reach its peer's memory");
  }
  // The peer's bytes [remote, remote + bytes) as a pointer this rank may load from and store to,
  // or nullptr when only readPeer/writePeer reach them: thread ranks of one process share their
  // memory, and a process maps its peer's shared buffer `where` (Note [Shared buffers]) when it
  // can.
  virtual std::byte* peerPointer(uint64_t remote, size_t bytes, SharedRef where) {
    (void)remote, (void)bytes, (void)where;
    return nullptr;
  }

  // Receive side. Never blocks. The oldest received chunk not yet released (its size in *bytes),
  // or nullptr when none has arrived. Calling it again before releaseRecv returns the same chunk.
  virtual const std::byte* tryRecvSlot(size_t* bytes) = 0;
  // The stamp its sender posted that chunk with (valid from tryRecvSlot until releaseRecv).
  virtual Stamp recvStamp() const = 0;
  // Returns the chunk's slot to the sender and wakes it.
  virtual void releaseRecv() = 0;
};

// This rank's side of one transport. Thread-compatible during set-up (one thread), then
// loop-bound like its endpoints.
class Transport {
 public:
  virtual ~Transport() = default;

  virtual std::string_view name() const = 0;

  // Prepares to accept connections and returns this rank's address blob, which the bootstrap
  // publishes through the store. Called once. Throws SystemError.
  virtual std::vector<std::byte> listen() = 0;

  // Opens the link to `peer` from the peer's address blob. Throws SystemError, or
  // InvalidArgument for a blob this transport cannot use.
  virtual std::unique_ptr<Endpoint> connect(int peer, std::span<const std::byte> addr) = 0;

  // Called once every rank has connected to every peer (after a bootstrap barrier): release
  // what only set-up needed (e.g. unlink shared-memory names).
  virtual void finishSetup() = 0;

  // Waiting for any endpoint's state to change without missing a change:
  //   WaitArm arm(t); auto token = t.waitToken(); if (!tryToProgress()) t.waitChange(token, maxUs);
  // waitChange returns when a peer touched one of our endpoints since waitToken(), after maxUs,
  // or spuriously. Called by the thread that drives the endpoints.
  // Note [Armed waits]: waking a sleeper costs its peers something on every post (a shared
  // counter bumped, maybe a system call), so a transport may skip it while this rank is not
  // about to sleep; shm does (Note [Doorbells]). A driver arms before it takes the token it may
  // sleep on, and disarms once it makes progress; arming nests. While spinning or yielding it
  // neither arms nor takes tokens. Unarmed, waitChange may sleep the whole maxUs.
  // A transport whose ringers may miss a waiter that arms at the same moment (shm: Note
  // [Doorbells]) caps the first sleep after arming at kFirstArmedSleepUs.
  virtual uint32_t waitToken() = 0;
  virtual void waitChange(uint32_t token, double maxUs) = 0;
  virtual void armWait(bool on) { (void)on; }
  static constexpr double kFirstArmedSleepUs = 50;

  // False when `peer` is known to be gone (its process exited). A peer that finished and left
  // may still have posted chunks we have not read: callers re-check their FIFOs before treating
  // this as a failure. Cheap enough to call every few milliseconds while waiting.
  virtual bool peerAlive(int peer) = 0;
};

// Arms `t` for as long as it lives, or from arm() on (Note [Armed waits]).
class WaitArm {
 public:
  explicit WaitArm(Transport& t, bool now = true) : t_(t) {
    if (now) arm();
  }
  ~WaitArm() { disarm(); }
  WaitArm(const WaitArm&) = delete;
  WaitArm& operator=(const WaitArm&) = delete;
  void arm() {
    if (!armed_) t_.armWait(true);
    armed_ = true;
  }
  void disarm() {
    if (armed_) t_.armWait(false);
    armed_ = false;
  }
  bool armed() const { return armed_; }

 private:
  Transport& t_;
  bool armed_ = false;
};

}  // namespace weft::transport
