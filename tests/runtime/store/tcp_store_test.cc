// SPDX-License-Identifier: Apache-2.0
// TcpStore and TcpStoreServer specifics: connecting, job keys, ports, shutdown and bad frames.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <random>
#include <thread>

#include "common/error.h"
#include "runtime/store/socket.h"
#include "runtime/store/tcp_wire.h"
#include "tests/runtime/store/store_fixture.h"

using namespace weft;
using namespace weft::store;
using weft::store::test::bytes;
using weft::store::test::str;

namespace {
double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string url(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }

// A port that was free a moment ago.
int freePort() { return TcpStoreServer::start("127.0.0.1", 0, "probe")->port(); }

// A raw connection to the server, for speaking the protocol by hand.
store::detail::UniqueFd rawConnect(int port) {
  std::string err;
  auto fd = store::detail::tryConnect("127.0.0.1", port, Deadline::after(2), &err);
  if (!fd.valid()) throw std::runtime_error("raw connect failed: " + err);
  return fd;
}

void rawSend(int fd, const std::string& data) {
  int err = 0;
  if (store::detail::sendAll(fd, data.data(), data.size(), Deadline::after(2), &err) != store::detail::Io::Ok) {
    throw std::runtime_error("raw send failed");
  }
}

// True when the server closes the connection within two seconds (reading and discarding).
bool closedByServer(int fd) {
  auto deadline = Deadline::after(2);
  char buf[256];
  while (!deadline.expired()) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    ssize_t r = ::recv(fd, buf, sizeof(buf), 0);
    if (r == 0 || (r < 0 && errno == ECONNRESET)) return true;
  }
  return false;
}

std::string hello(const std::string& jobKey) {
  return wire::encodeRequest(wire::Cmd::Hello, 0, {wire::kMagic, jobKey});
}

// Reads one request off fd, whatever it holds; false if the client went away.
bool skipRequest(int fd) {
  int err = 0;
  auto recv = [&](std::string& into, size_t n) {
    into.resize(n);
    return store::detail::recvAll(fd, into.data(), n, Deadline::after(5), &err) == store::detail::Io::Ok;
  };
  std::string header, len, arg;
  if (!recv(header, wire::kRequestHeaderBytes)) return false;
  for (uint32_t i = 0, argc = wire::getU32(header.data() + 5); i < argc; ++i) {
    if (!recv(len, 4) || !recv(arg, wire::getU32(len.data()))) return false;
  }
  return true;
}

// A server posing as a store: greets one client, answers its first request with `reply`, then
// waits for it to hang up.
class FakeServer {
 public:
  explicit FakeServer(std::string reply) {
    auto fds = store::detail::listenOn("127.0.0.1", 0, &port_);
    thread_ = std::thread([fd = std::move(fds.at(0)), reply = std::move(reply)] {
      pollfd p{fd.get(), POLLIN, 0};
      if (::poll(&p, 1, 5000) != 1) return;
      store::detail::UniqueFd c(::accept(fd.get(), nullptr, nullptr));
      if (!c.valid()) return;
      store::detail::setNonBlocking(c.get());
      if (!skipRequest(c.get())) return;
      rawSend(c.get(), wire::encodeReply(wire::Status::Ok, ""));
      if (!skipRequest(c.get())) return;
      rawSend(c.get(), reply);
      closedByServer(c.get());  // here: until the client closes, at most two seconds
    });
  }
  ~FakeServer() { thread_.join(); }
  int port() const { return port_; }

 private:
  int port_ = 0;
  std::thread thread_;
};
}  // namespace

TEST_CASE("tcp store connect retries until the server starts", "[store][tcp]") {
  const int port = freePort();
  std::unique_ptr<TcpStoreServer> server;
  std::thread starter([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    server = TcpStoreServer::start("", port, "job");
  });
  auto start = Clock::now();
  std::shared_ptr<TcpStore> client;
  REQUIRE_NOTHROW(client = TcpStore::connect("127.0.0.1", port, "job", Deadline::after(5)));
  starter.join();
  REQUIRE(secondsSince(start) >= 0.19);
  client->set("k", bytes("v"));
  REQUIRE(str(client->get("k", Deadline::after(1))) == "v");
  REQUIRE(client->describe() == url(port));
}

TEST_CASE("tcp store connect times out with a clear message", "[store][tcp]") {
  const int port = freePort();
  auto start = Clock::now();
  REQUIRE_THROWS_WITH(TcpStore::connect("127.0.0.1", port, "job", Deadline::after(0.3)),
                      Catch::StartsWith("timed out after 0.3 s connecting to the store at " + url(port)));
  REQUIRE(secondsSince(start) < 1.5);
}

TEST_CASE("tcp store rejects a client of another job", "[store][tcp]") {
  auto server = TcpStoreServer::start("", 0, "job-A");
  REQUIRE_THROWS_MATCHES(TcpStore::connect("127.0.0.1", server->port(), "job-B", Deadline::after(2)), RemoteError,
                         Catch::Message("the store at " + url(server->port()) +
                                        " belongs to another job (job key mismatch)"));
  // The server keeps serving its own job.
  auto ok = TcpStore::connect("127.0.0.1", server->port(), "job-A", Deadline::after(2));
  ok->set("k", bytes("v"));
  REQUIRE(str(ok->get("k", Deadline::after(1))) == "v");
}

TEST_CASE("tcp store servers on ephemeral ports do not mix", "[store][tcp]") {
  auto s1 = TcpStoreServer::start("", 0, "job");
  auto s2 = TcpStoreServer::start("", 0, "job");
  REQUIRE(s1->port() != s2->port());
  auto c1 = TcpStore::connect("127.0.0.1", s1->port(), "job", Deadline::after(2));
  auto c2 = TcpStore::connect("127.0.0.1", s2->port(), "job", Deadline::after(2));
  c1->set("k", bytes("one"));
  REQUIRE_THROWS_AS(c2->get("k", Deadline::after(0.1)), Timeout);
  c2->set("k", bytes("two"));
  REQUIRE(str(c1->get("k", Deadline::after(1))) == "one");
  REQUIRE(str(c2->get("k", Deadline::after(1))) == "two");
}

TEST_CASE("tcp store server on a busy port gives a clear error", "[store][tcp]") {
  auto first = TcpStoreServer::start("", 0, "job");
  const int port = first->port();
  const std::string bindHost = GENERATE(as<std::string>{}, "", "127.0.0.1");
  CAPTURE(bindHost);
  REQUIRE_THROWS_MATCHES(TcpStoreServer::start(bindHost, port, "other"), SystemError,
                         Catch::Message("cannot listen on port " + std::to_string(port) +
                                        ": Address already in use (another job may be using this MASTER_PORT)"));
}

TEST_CASE("tcp store binds a named host and serves IPv6", "[store][tcp]") {
  auto local = TcpStoreServer::start("localhost", 0, "job");
  auto c = TcpStore::connect("localhost", local->port(), "job", Deadline::after(2));
  REQUIRE(c->add("n", 2) == 2);

  store::detail::UniqueFd probe(::socket(AF_INET6, SOCK_STREAM, 0));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  if (!probe.valid() || ::bind(probe.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    WARN("no IPv6 loopback here; skipping the IPv6 part");
    return;
  }
  auto any = TcpStoreServer::start("", 0, "job");
  auto v6 = TcpStore::connect("::1", any->port(), "job", Deadline::after(2));
  auto v4 = TcpStore::connect("127.0.0.1", any->port(), "job", Deadline::after(2));
  REQUIRE(v6->describe() == "tcp://[::1]:" + std::to_string(any->port()));
  v6->set("k", bytes("from v6"));
  REQUIRE(str(v4->get("k", Deadline::after(1))) == "from v6");
}

TEST_CASE("tcp store server shutdown fails a waiting client", "[store][tcp]") {
  auto server = TcpStoreServer::start("", 0, "job");
  const int port = server->port();
  auto client = TcpStore::connect("127.0.0.1", port, "job", Deadline::after(2));
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    server.reset();
  });
  auto start = Clock::now();
  REQUIRE_THROWS_MATCHES(client->get("never", Deadline::after(10)), RemoteError,
                         Catch::Predicate<std::exception>([&](const std::exception& e) {
                           return std::string(e.what()).find(url(port)) != std::string::npos;
                         }, "names the store"));
  stopper.join();
  REQUIRE(secondsSince(start) < 2);
  // Later calls fail fast too, instead of retrying until a deadline.
  REQUIRE_THROWS_AS(client->set("k", bytes("v")), RemoteError);
}

TEST_CASE("tcp store server survives malformed frames", "[store][tcp]") {
  auto server = TcpStoreServer::start("", 0, "job");
  const int port = server->port();
  auto good = TcpStore::connect("127.0.0.1", port, "job", Deadline::after(2));

  SECTION("unknown command") {
    auto fd = rawConnect(port);
    rawSend(fd.get(), std::string("\xee\0\0\0\0\0\0\0\0", 9));
    REQUIRE(closedByServer(fd.get()));
  }
  SECTION("request before the hello") {
    auto fd = rawConnect(port);
    rawSend(fd.get(), wire::encodeRequest(wire::Cmd::Set, 0, {"k", "v"}));
    REQUIRE(closedByServer(fd.get()));
  }
  SECTION("over-long key and value lengths") {
    for (uint32_t len : {uint32_t{0xffffffff}, static_cast<uint32_t>(store::detail::kMaxKeyBytes + 1)}) {
      auto fd = rawConnect(port);
      std::string frame = hello("job");
      frame += std::string("\x02\0\0\0\0\x02\0\0\0", 9);  // Set, timeout 0, 2 args
      wire::putU32(frame, len);
      rawSend(fd.get(), frame);
      REQUIRE(closedByServer(fd.get()));
    }
    auto fd = rawConnect(port);
    std::string frame = hello("job") + std::string("\x02\0\0\0\0\x02\0\0\0", 9);
    wire::putU32(frame, 1);
    frame += "k";
    wire::putU32(frame, store::detail::kMaxValueBytes + 1);
    rawSend(fd.get(), frame);
    REQUIRE(closedByServer(fd.get()));
  }
  SECTION("wrong argument count and too many wait keys") {
    auto fd = rawConnect(port);
    rawSend(fd.get(), hello("job") + wire::encodeRequest(wire::Cmd::Get, 0, {"a", "b"}));
    REQUIRE(closedByServer(fd.get()));
    auto fd2 = rawConnect(port);
    std::string frame = hello("job") + std::string("\x05\0\0\0\0", 5);
    wire::putU32(frame, 1u << 30);
    rawSend(fd2.get(), frame);
    REQUIRE(closedByServer(fd2.get()));
  }
  SECTION("pipelined request while a get is parked") {
    auto fd = rawConnect(port);
    rawSend(fd.get(), hello("job") + wire::encodeRequest(wire::Cmd::Get, wire::kNoTimeout, {"absent"}) +
                          wire::encodeRequest(wire::Cmd::Get, wire::kNoTimeout, {"absent"}));
    REQUIRE(closedByServer(fd.get()));
  }
  SECTION("a half-sent frame does not block other clients") {
    auto fd = rawConnect(port);
    std::string frame = hello("job") + wire::encodeRequest(wire::Cmd::Set, 0, {"k", std::string(1000, 'v')});
    rawSend(fd.get(), frame.substr(0, frame.size() - 10));
    good->set("other", bytes("fine"));
    REQUIRE(str(good->get("other", Deadline::after(1))) == "fine");
    REQUIRE_THROWS_AS(good->get("k", Deadline::after(0.05)), Timeout);
  }
  SECTION("random garbage after the hello") {
    std::mt19937 rng(1234);
    for (int round = 0; round < 200; ++round) {
      auto fd = rawConnect(port);
      std::string frame = hello("job");
      frame += static_cast<char>(1 + rng() % 6);  // mostly known commands, then random fields
      size_t n = rng() % 64;
      for (size_t i = 0; i < n; ++i) frame += static_cast<char>(rng() % 4 == 0 ? rng() % 256 : rng() % 3);
      rawSend(fd.get(), frame);
    }  // each raw connection closes here, mid-frame or not
  }
  // Whatever the bad client did, the server still serves the good one.
  good->set("after", bytes("ok"));
  REQUIRE(str(good->get("after", Deadline::after(1))) == "ok");
  REQUIRE(good->add("n", 5) == 5);
}

TEST_CASE("the store server takes a port of WEFT_PORT_RANGE, and names the range when all are taken", "[store][tcp]") {
  // Four ports from one that was free a moment ago: the two servers need two of them.
  const int base = std::min(freePort(), 65532);
  auto a = TcpStoreServer::start("127.0.0.1", 0, "job", PortRange{base, base + 3});
  auto b = TcpStoreServer::start("127.0.0.1", 0, "job", PortRange{base, base + 3});
  CHECK(a->port() >= base);
  CHECK(a->port() <= base + 3);
  CHECK(b->port() >= base);
  CHECK(b->port() <= base + 3);
  CHECK(a->port() != b->port());
  auto store = TcpStore::connect("127.0.0.1", b->port(), "job", Deadline::after(5));
  store->set("k", store::Bytes{7});
  CHECK(store->get("k", Deadline::after(5)) == store::Bytes{7});
  CHECK_THROWS_WITH(TcpStoreServer::start("127.0.0.1", 0, "job", PortRange{a->port(), a->port()}),
                    Catch::Contains("in WEFT_PORT_RANGE=" + std::to_string(a->port()) + "-" + std::to_string(a->port())));
}

TEST_CASE("the client bounds what a server's replies make it read and keep", "[store][tcp]") {
  CHECK(wire::parseReplyHeader(wire::encodeReply(wire::Status::Timeout, "abc"))->payloadBytes == 3);
  CHECK_FALSE(wire::parseReplyHeader(std::string(4, '\0')));
  std::string huge(1, '\0');
  wire::putU32(huge, static_cast<uint32_t>(wire::kMaxReplyPayload + 1));
  CHECK_FALSE(wire::parseReplyHeader(huge));

  std::string eight;
  wire::putI64(eight, -5);
  CHECK(wire::parseAddResult(0, eight) == -5);
  CHECK_FALSE(wire::parseAddResult(0, eight + "x"));
  CHECK_FALSE(wire::parseAddResult(static_cast<uint8_t>(wire::Status::Timeout), eight));

  // Each key once, whatever the server repeats; out-of-range indexes and a partial one ignored.
  std::string missing;
  for (int i = 0; i < 1000; ++i) wire::putU32(missing, 1);
  wire::putU32(missing, 7);
  wire::putU32(missing, 0);
  missing += "xy";
  CHECK(wire::parseMissingKeys(missing, 3) == std::vector<uint32_t>{1, 0});
  CHECK(wire::parseMissingKeys(missing, 0).empty());
}

TEST_CASE("a hostile store server ends the client's call with an error", "[store][tcp]") {
  SECTION("a reply longer than any the protocol has") {
    std::string reply(1, '\0');
    wire::putU32(reply, 0xffffffffu);
    FakeServer server(reply);
    auto client = TcpStore::connect("127.0.0.1", server.port(), "job", Deadline::after(5));
    REQUIRE_THROWS_WITH(client->get("k", Deadline::after(5)), Catch::Contains("sent a malformed reply"));
  }
  SECTION("a wait's missing keys repeated a million times name each key once") {
    std::string indexes;
    for (int i = 0; i < 1000000; ++i) wire::putU32(indexes, 0);
    FakeServer server(wire::encodeReply(wire::Status::Timeout, indexes));
    auto client = TcpStore::connect("127.0.0.1", server.port(), "job", Deadline::after(5));
    try {
      client->wait({"a", "b"}, Deadline::after(5));
      FAIL("wait returned");
    } catch (const Timeout& e) {
      CHECK_THAT(e.what(), Catch::Contains("waiting for key 'a' in the store"));
    }
  }
}
