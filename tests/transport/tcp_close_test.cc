// SPDX-License-Identifier: Apache-2.0
// Closing TCP endpoints whose peer reads nothing (stopped, or behind a cut link): an abandoned one
// closes at once, and the flush of the others is bounded once for all of a transport's endpoints.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <thread>
#include <vector>

#include "transport/tcp/endpoint.h"
#include "transport/tcp/poller.h"

namespace {

using namespace weft::transport::tcp;
using Clock = std::chrono::steady_clock;

// An endpoint to a peer that never reads: one end of a socket pair with small buffers, its send
// slots queued until the socket is full. peerFd is the other end, for the test to close.
struct Stuck {
  std::unique_ptr<TcpEndpoint> ep;
  int peerFd = -1;
};

Stuck stuckEndpoint(const std::shared_ptr<Poller>& poller) {
  int sv[2];
  REQUIRE(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0);
  const int small = 4096;
  ::setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
  ::setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
  std::vector<Socket> socks;
  socks.emplace_back(sv[0]);
  Stuck s{std::make_unique<TcpEndpoint>(1, 4, 64 << 10, std::move(socks), poller), sv[1]};
  while (std::byte* slot = s.ep->trySendSlot()) {
    std::fill(slot, slot + (64 << 10), std::byte{1});
    s.ep->postSend(64 << 10, {});
  }
  return s;
}

// Seconds `close` took; if it takes longer than `limit`, the peers' ends are closed to free it
// (its writes then fail), so that a regression fails the test instead of hanging it.
double timeClose(std::vector<Stuck>& stuck, double limit) {
  std::atomic<bool> done{false};
  const auto start = Clock::now();
  std::thread closer([&] {
    for (Stuck& s : stuck) s.ep.reset();
    done = true;
  });
  while (!done && Clock::now() - start < std::chrono::duration<double>(limit)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const double took = std::chrono::duration<double>(Clock::now() - start).count();
  for (Stuck& s : stuck) ::close(s.peerFd);
  closer.join();
  return took;
}

}  // namespace

TEST_CASE("tcp: an abandoned endpoint closes at once though its peer reads nothing", "[transport][tcp]") {
  auto poller = std::make_shared<Poller>(1);
  std::vector<Stuck> stuck;
  stuck.push_back(stuckEndpoint(poller));
  stuck.back().ep->abandon();  // what weftCommAbort does to its links
  CHECK(timeClose(stuck, 10) < 1);
}

TEST_CASE("tcp: endpoints with unsent bytes share one flush deadline", "[transport][tcp]") {
  // Each used to wait its own 5 s, one after the other: a rank with many unreachable peers
  // spent minutes in weftCommDestroy.
  auto poller = std::make_shared<Poller>(1);
  std::vector<Stuck> stuck;
  for (int i = 0; i < 3; ++i) stuck.push_back(stuckEndpoint(poller));
  const double took = timeClose(stuck, 20);
  CHECK(took > 4);
  CHECK(took < 8);
}
