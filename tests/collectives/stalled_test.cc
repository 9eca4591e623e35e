// SPDX-License-Identifier: Apache-2.0
// Note [Stalled peers]: a blocked operation fails once any peer it waits for has exited, also
// one it does not name first. One rank's operation over in-memory links whose peers' liveness
// the test sets, so each case is exact (no processes, no timing).
#include <catch2/catch.hpp>

#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "collectives/operation.h"
#include "collectives/primitives.h"
#include "collectives/registry.h"
#include "common/error.h"
#include "common/wait.h"

namespace {

using weft::transport::Endpoint;
using weft::transport::Stamp;

constexpr size_t kSlot = 64;

// A link whose send side takes `room` chunks and then none (a peer that stopped reading), and
// whose receive side delivers what the test queued.
class Link final : public Endpoint {
 public:
  Link(int peer, size_t room) : peer_(peer), room_(room) {}
  int peer() const override { return peer_; }
  size_t slotBytes() const override { return kSlot; }
  std::byte* trySendSlot(size_t) override { return sent_ < room_ ? slot_ : nullptr; }
  void postSend(size_t, Stamp) override { ++sent_; }
  const std::byte* tryRecvSlot(size_t* bytes) override {
    if (inbox_.empty()) return nullptr;
    *bytes = inbox_.front().size();
    return inbox_.front().data();
  }
  Stamp recvStamp() const override { return {}; }
  void releaseRecv() override { inbox_.pop_front(); }
  void deliver(size_t bytes) { inbox_.emplace_back(bytes, std::byte{0x5a}); }
  size_t sent() const { return sent_; }

 private:
  int peer_;
  size_t room_;
  size_t sent_ = 0;
  std::byte slot_[kSlot];
  std::deque<std::vector<std::byte>> inbox_;
};

// Liveness as the test sets it; asking may first run `onAsk` (a peer's last chunks arriving as it
// exits).
class Liveness final : public weft::transport::Transport {
 public:
  explicit Liveness(int n) : alive(size_t(n), true) {}
  std::string_view name() const override { return "test"; }
  std::vector<std::byte> listen() override { return {}; }
  std::unique_ptr<Endpoint> connect(int, std::span<const std::byte>) override { return nullptr; }
  void finishSetup() override {}
  uint32_t waitToken() override { return 0; }
  void waitChange(uint32_t, double) override {}
  bool peerAlive(int peer) override {
    if (onAsk) onAsk(peer);
    return alive[size_t(peer)];
  }
  std::vector<bool> alive;
  std::function<void(int)> onAsk;
};

// Rank `rank` of three over `links` (self null), liveness from `transport`, stamps unchecked.
weft::coll::Context contextOf(int rank, Liveness& transport, const std::vector<Endpoint*>& links,
                              const weft::WaitPolicy& wait) {
  weft::coll::Context ctx;
  ctx.rank = rank;
  ctx.size = 3;
  ctx.transport = &transport;
  ctx.links = links;
  ctx.wait = &wait;
  ctx.checkStamps = false;
  return ctx;
}

// Rank 0 of three in a pairwise all-to-all of `count` int32 per block: in its first step it sends
// to rank 1 and receives from rank 2. Rank 1 takes one chunk and no more; rank 2 sends nothing.
struct ThreeRanks {
  Liveness transport{3};
  std::vector<std::unique_ptr<Link>> owned;
  std::vector<Endpoint*> links{nullptr};
  weft::WaitPolicy wait;
  weft::coll::Context ctx;
  weft::coll::CollArgs args;
  std::vector<int32_t> send, recv;
  std::unique_ptr<weft::coll::Operation> op;

  explicit ThreeRanks(size_t count) : send(3 * count, 7), recv(3 * count, 0) {
    owned.push_back(std::make_unique<Link>(1, 1));
    owned.push_back(std::make_unique<Link>(2, 1 << 20));
    for (auto& l : owned) links.push_back(l.get());
    ctx = contextOf(0, transport, links, wait);
    args.kind = weft::coll::CollKind::AllToAll;
    args.send = send.data();
    args.recv = recv.data();
    args.count = count;
    args.dtype = weft::coll::DataType::Int32;
    op = weft::coll::pairwiseAllToAll().start(ctx, args);
  }
  Link& link(int peer) { return *owned[size_t(peer - 1)]; }
  // Marks `dead` as exited; checkStalled must then fail naming it. Returns the message.
  std::string failsNaming(int dead) {
    transport.alive[size_t(dead)] = false;
    try {
      weft::coll::checkStalled(ctx, args, *op);
    } catch (const weft::RemoteError& e) {
      CHECK(e.about() == dead);
      return e.what();
    }
    FAIL("checkStalled went on waiting for a rank that exited");
    return "";
  }
  // Advances until nothing moves.
  void runUntilBlocked() {
    for (int i = 0; i < 100 && op->advance() != weft::coll::Progress::Blocked; ++i) {
    }
  }
};

}  // namespace

TEST_CASE("a rank stuck sending to a peer that exited notices, though it names a live peer first", "[stalled]") {
  ThreeRanks r(64);  // 256 bytes a block: 4 chunks, of which rank 1 takes 1
  r.runUntilBlocked();
  REQUIRE(r.link(1).sent() == 1);
  REQUIRE(r.op->blockedOn().first() == 2);  // the receive from rank 2 is named first
  REQUIRE(r.op->blockedOn().contains(1));
  CHECK(r.op->waitingFor().find("a chunk from rank 2 and a free slot at rank 1") == 0);

  SECTION("both alive: it goes on waiting") {
    CHECK(weft::coll::checkStalled(r.ctx, r.args, *r.op) == weft::coll::Progress::Blocked);
  }
  SECTION("rank 1 exited: the call fails naming rank 1") {
    const std::string what = r.failsNaming(1);
    CHECK_THAT(what, Catch::Contains("rank 1 exited while this rank waited for a chunk from rank 2 and a free slot at "
                                     "rank 1"));
  }
  SECTION("rank 2 exited: the call fails naming rank 2") { r.failsNaming(2); }
}

TEST_CASE("a peer that posted what this rank waits for and then exited is no failure", "[stalled]") {
  ThreeRanks r(16);  // 64 bytes a block: one chunk each way
  r.runUntilBlocked();
  REQUIRE(r.link(1).sent() == 1);
  REQUIRE(r.op->blockedOn().first() == 2);
  REQUIRE(!r.op->blockedOn().contains(1));  // the send to rank 1 is done
  // Rank 2's block arrives just as it exits: the look once more finds it and the step ends.
  r.transport.alive[2] = false;
  r.transport.onAsk = [&](int peer) {
    if (peer == 2 && r.transport.onAsk) {
      r.link(2).deliver(64);
      r.transport.onAsk = nullptr;
    }
  };
  CHECK(weft::coll::checkStalled(r.ctx, r.args, *r.op) != weft::coll::Progress::Blocked);
}

TEST_CASE("a step that succeeds clears what earlier failures waited for", "[stalled]") {
  ThreeRanks r(16);
  r.runUntilBlocked();
  REQUIRE(r.op->blockedOn().contains(2));
  r.link(2).deliver(64);  // step 1 completes; step 2 sends to rank 2 and receives from rank 1
  r.runUntilBlocked();
  const weft::coll::PeerSet now = r.op->blockedOn();
  CHECK(now.first() == 1);
  CHECK(!now.contains(2));
}

TEST_CASE("a step's receive that arrives while its send still waits is no longer waited for", "[stalled]") {
  // Rank 1 of a chain 0 -> 1 -> 2 passing a chunk on (RecvCopySend): the chunk from rank 0 is
  // late, then comes while rank 2's slots are full. Rank 0 may then finish and exit: the step
  // waits for rank 2 alone, and a rank 0 that exited must not fail it.
  Liveness transport(3);
  Link from0(0, 1), to2(2, 0);
  std::vector<Endpoint*> links{&from0, nullptr, &to2};
  weft::WaitPolicy wait;
  const weft::coll::Context ctx = contextOf(1, transport, links, wait);
  weft::coll::Primitives prims(ctx, &from0, &to2, weft::coll::DataType::Int32, weft::coll::ReduceOp::Sum);
  std::vector<int32_t> out(16);
  REQUIRE(!prims.tryStep(weft::coll::Prim::RecvCopySend, nullptr, out.data(), out.size()));
  CHECK(prims.blockedPeers().contains(0));
  from0.deliver(64);
  REQUIRE(!prims.tryStep(weft::coll::Prim::RecvCopySend, nullptr, out.data(), out.size()));
  CHECK(prims.blockedPeers().first() == 2);
  CHECK(!prims.blockedPeers().contains(0));
  CHECK(prims.waitingFor() == "a free slot at rank 2 (it has not consumed earlier chunks)");
}
