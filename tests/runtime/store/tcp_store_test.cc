// SPDX-License-Identifier: Apache-2.0
// TcpStore and TcpStoreServer specifics: connecting, job keys, ports, shutdown and bad frames.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <array>
#include <optional>
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
using weft::store::test::kTestSecret;

namespace {
double secondsSince(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

std::string url(int port) { return "tcp://127.0.0.1:" + std::to_string(port); }

// A port that was free a moment ago.
int freePort() { return TcpStoreServer::start("127.0.0.1", 0, "probe", kTestSecret)->port(); }

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

std::string_view view(const std::array<uint8_t, 32>& a) { return {reinterpret_cast<const char*>(a.data()), a.size()}; }

// Reads exactly n bytes off fd into a string; empty if the peer went away first.
std::string rawRecv(int fd, size_t n) {
  std::string into(n, '\0');
  int err = 0;
  if (store::detail::recvAll(fd, into.data(), n, Deadline::after(5), &err) != store::detail::Io::Ok) return "";
  return into;
}

// Reads one request off fd and returns its arguments; nullopt if the client went away.
std::optional<std::vector<std::string>> readRequest(int fd) {
  const std::string header = rawRecv(fd, wire::kRequestHeaderBytes);
  if (header.empty()) return std::nullopt;
  std::vector<std::string> args;
  for (uint32_t i = 0, argc = wire::getU32(header.data() + 5); i < argc; ++i) {
    const std::string len = rawRecv(fd, 4);
    if (len.empty()) return std::nullopt;
    args.push_back(rawRecv(fd, wire::getU32(len.data())));
  }
  return args;
}

// A raw connection that has made the whole greeting (Note [Job secret]) with `secret`, as a
// client would; the server's answer to the proof is left unread when `readVerdict` is false.
store::detail::UniqueFd greetedConnect(int port, const std::string& jobKey, const auth::Secret& secret,
                                       bool readVerdict = true) {
  auto fd = rawConnect(port);
  const auth::Nonce mine = auth::randomBytes();
  rawSend(fd.get(), wire::encodeRequest(wire::Cmd::Hello, 0, {wire::kMagic, jobKey, view(mine)}));
  const std::string header = rawRecv(fd.get(), wire::kReplyHeaderBytes);
  if (header.empty() || header[0] != 0 || wire::getU32(header.data() + 1) != 64) throw std::runtime_error("no challenge");
  const std::string challenge = rawRecv(fd.get(), 64);
  const Digest proof = auth::proof(secret, auth::Role::Connector, wire::kAuthTag, mine,
                                   wire::asNonce(std::string_view(challenge).substr(0, 32)));
  rawSend(fd.get(), wire::encodeRequest(wire::Cmd::Auth, 0, {view(proof)}));
  if (readVerdict && rawRecv(fd.get(), wire::kReplyHeaderBytes) != wire::encodeReply(wire::Status::Ok, "")) {
    throw std::runtime_error("greeting refused");
  }
  return fd;
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
      // The server's half of the greeting, with the tests' secret.
      const auto hello = readRequest(c.get());
      if (!hello || hello->size() != 3) return;
      const auth::Nonce mine = auth::randomBytes();
      const Digest proof = auth::proof(kTestSecret, auth::Role::Acceptor, wire::kAuthTag, mine,
                                       wire::asNonce((*hello)[2]));
      rawSend(c.get(), wire::encodeReply(wire::Status::Ok, std::string(view(mine)) + std::string(view(proof))));
      if (!readRequest(c.get())) return;
      rawSend(c.get(), wire::encodeReply(wire::Status::Ok, ""));
      if (!readRequest(c.get())) return;
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
    server = TcpStoreServer::start("", port, "job", kTestSecret);
  });
  auto start = Clock::now();
  std::shared_ptr<TcpStore> client;
  REQUIRE_NOTHROW(client = TcpStore::connect("127.0.0.1", port, "job", kTestSecret, Deadline::after(5)));
  starter.join();
  REQUIRE(secondsSince(start) >= 0.19);
  client->set("k", bytes("v"));
  REQUIRE(str(client->get("k", Deadline::after(1))) == "v");
  REQUIRE(client->describe() == url(port));
}

TEST_CASE("tcp store connect times out with a clear message", "[store][tcp]") {
  const int port = freePort();
  auto start = Clock::now();
  REQUIRE_THROWS_WITH(TcpStore::connect("127.0.0.1", port, "job", kTestSecret, Deadline::after(0.3)),
                      Catch::StartsWith("timed out after 0.3 s connecting to the store at " + url(port)));
  REQUIRE(secondsSince(start) < 1.5);
}

TEST_CASE("tcp store rejects a client of another job", "[store][tcp]") {
  auto server = TcpStoreServer::start("", 0, "job-A", kTestSecret);
  REQUIRE_THROWS_MATCHES(TcpStore::connect("127.0.0.1", server->port(), "job-B", kTestSecret, Deadline::after(2)), RemoteError,
                         Catch::Message("the store at " + url(server->port()) +
                                        " belongs to another job (job key mismatch)"));
  // The server keeps serving its own job.
  auto ok = TcpStore::connect("127.0.0.1", server->port(), "job-A", kTestSecret, Deadline::after(2));
  ok->set("k", bytes("v"));
  REQUIRE(str(ok->get("k", Deadline::after(1))) == "v");
}

TEST_CASE("tcp store and client refuse each other without the same job secret", "[store][tcp]") {
  auto server = TcpStoreServer::start("", 0, "job", kTestSecret);
  // The client checks the server's proof first: a store that does not know the secret is not
  // this job's, and nothing is sent to it.
  REQUIRE_THROWS_MATCHES(TcpStore::connect("127.0.0.1", server->port(), "job", auth::derived("other"), Deadline::after(2)),
                         RemoteError, Catch::Message("the store at " + url(server->port()) +
                                                     " does not know this job's secret (another job's store?)"));
  auto ok = TcpStore::connect("127.0.0.1", server->port(), "job", kTestSecret, Deadline::after(2));
  ok->set("k", bytes("v"));
  REQUIRE(str(ok->get("k", Deadline::after(1))) == "v");
}

TEST_CASE("tcp store servers on ephemeral ports do not mix", "[store][tcp]") {
  auto s1 = TcpStoreServer::start("", 0, "job", kTestSecret);
  auto s2 = TcpStoreServer::start("", 0, "job", kTestSecret);
  REQUIRE(s1->port() != s2->port());
  auto c1 = TcpStore::connect("127.0.0.1", s1->port(), "job", kTestSecret, Deadline::after(2));
  auto c2 = TcpStore::connect("127.0.0.1", s2->port(), "job", kTestSecret, Deadline::after(2));
  c1->set("k", bytes("one"));
  REQUIRE_THROWS_AS(c2->get("k", Deadline::after(0.1)), Timeout);
  c2->set("k", bytes("two"));
  REQUIRE(str(c1->get("k", Deadline::after(1))) == "one");
  REQUIRE(str(c2->get("k", Deadline::after(1))) == "two");
}

TEST_CASE("tcp store server on a busy port gives a clear error", "[store][tcp]") {
  auto first = TcpStoreServer::start("", 0, "job", kTestSecret);
  const int port = first->port();
  const std::string bindHost = GENERATE(as<std::string>{}, "", "127.0.0.1");
  CAPTURE(bindHost);
  REQUIRE_THROWS_MATCHES(TcpStoreServer::start(bindHost, port, "other", kTestSecret), SystemError,
                         Catch::Message("cannot listen on port " + std::to_string(port) +
                                        ": Address already in use (another job may be using this MASTER_PORT)"));
}

TEST_CASE("tcp store binds a named host and serves IPv6", "[store][tcp]") {
  auto local = TcpStoreServer::start("localhost", 0, "job", kTestSecret);
  auto c = TcpStore::connect("localhost", local->port(), "job", kTestSecret, Deadline::after(2));
  REQUIRE(c->add("n", 2) == 2);

  store::detail::UniqueFd probe(::socket(AF_INET6, SOCK_STREAM, 0));
  sockaddr_in6 a{};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_loopback;
  if (!probe.valid() || ::bind(probe.get(), reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    WARN("no IPv6 loopback here; skipping the IPv6 part");
    return;
  }
  auto any = TcpStoreServer::start("", 0, "job", kTestSecret);
  auto v6 = TcpStore::connect("::1", any->port(), "job", kTestSecret, Deadline::after(2));
  auto v4 = TcpStore::connect("127.0.0.1", any->port(), "job", kTestSecret, Deadline::after(2));
  REQUIRE(v6->describe() == "tcp://[::1]:" + std::to_string(any->port()));
  v6->set("k", bytes("from v6"));
  REQUIRE(str(v4->get("k", Deadline::after(1))) == "from v6");
}

TEST_CASE("tcp store server shutdown fails a waiting client", "[store][tcp]") {
  auto server = TcpStoreServer::start("", 0, "job", kTestSecret);
  const int port = server->port();
  auto client = TcpStore::connect("127.0.0.1", port, "job", kTestSecret, Deadline::after(2));
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
  auto server = TcpStoreServer::start("", 0, "job", kTestSecret);
  const int port = server->port();
  auto good = TcpStore::connect("127.0.0.1", port, "job", kTestSecret, Deadline::after(2));

  SECTION("unknown command") {
    auto fd = rawConnect(port);
    rawSend(fd.get(), std::string("\xee\0\0\0\0\0\0\0\0", 9));
    REQUIRE(closedByServer(fd.get()));
  }
  SECTION("a stranger without the secret: refused at its proof, before any request is read") {
    auto fd = greetedConnect(port, "job", auth::derived("a guess"), false);
    rawSend(fd.get(), wire::encodeRequest(wire::Cmd::Set, 0, {"k", "stranger's"}));
    REQUIRE(rawRecv(fd.get(), wire::kReplyHeaderBytes) == wire::encodeReply(wire::Status::Rejected, ""));
    REQUIRE(closedByServer(fd.get()));
    REQUIRE_THROWS_AS(good->get("k", Deadline::after(0.05)), Timeout);  // nothing was set
  }
  SECTION("a proof before the hello, and a hello without a nonce") {
    auto fd = rawConnect(port);
    rawSend(fd.get(), wire::encodeRequest(wire::Cmd::Auth, 0, {std::string(32, 'p')}));
    REQUIRE(closedByServer(fd.get()));
    auto fd2 = rawConnect(port);
    rawSend(fd2.get(), wire::encodeRequest(wire::Cmd::Hello, 0, {wire::kMagic, "job"}));
    REQUIRE(closedByServer(fd2.get()));
  }
  SECTION("request before the hello") {
    auto fd = rawConnect(port);
    rawSend(fd.get(), wire::encodeRequest(wire::Cmd::Set, 0, {"k", "v"}));
    REQUIRE(closedByServer(fd.get()));
  }
  SECTION("over-long key and value lengths") {
    for (uint32_t len : {uint32_t{0xffffffff}, static_cast<uint32_t>(store::detail::kMaxKeyBytes + 1)}) {
      auto fd = greetedConnect(port, "job", kTestSecret);
      std::string frame = std::string("\x02\0\0\0\0\x02\0\0\0", 9);  // Set, timeout 0, 2 args
      wire::putU32(frame, len);
      rawSend(fd.get(), frame);
      REQUIRE(closedByServer(fd.get()));
    }
    auto fd = greetedConnect(port, "job", kTestSecret);
    std::string frame = std::string("\x02\0\0\0\0\x02\0\0\0", 9);
    wire::putU32(frame, 1);
    frame += "k";
    wire::putU32(frame, store::detail::kMaxValueBytes + 1);
    rawSend(fd.get(), frame);
    REQUIRE(closedByServer(fd.get()));
  }
  SECTION("wrong argument count and too many wait keys") {
    auto fd = greetedConnect(port, "job", kTestSecret);
    rawSend(fd.get(), wire::encodeRequest(wire::Cmd::Get, 0, {"a", "b"}));
    REQUIRE(closedByServer(fd.get()));
    auto fd2 = greetedConnect(port, "job", kTestSecret);
    std::string frame = std::string("\x05\0\0\0\0", 5);
    wire::putU32(frame, 1u << 30);
    rawSend(fd2.get(), frame);
    REQUIRE(closedByServer(fd2.get()));
  }
  SECTION("pipelined request while a get is parked") {
    auto fd = greetedConnect(port, "job", kTestSecret);
    rawSend(fd.get(), wire::encodeRequest(wire::Cmd::Get, wire::kNoTimeout, {"absent"}) +
                          wire::encodeRequest(wire::Cmd::Get, wire::kNoTimeout, {"absent"}));
    REQUIRE(closedByServer(fd.get()));
  }
  SECTION("a half-sent frame does not block other clients") {
    auto fd = greetedConnect(port, "job", kTestSecret);
    std::string frame = wire::encodeRequest(wire::Cmd::Set, 0, {"k", std::string(1000, 'v')});
    rawSend(fd.get(), frame.substr(0, frame.size() - 10));
    good->set("other", bytes("fine"));
    REQUIRE(str(good->get("other", Deadline::after(1))) == "fine");
    REQUIRE_THROWS_AS(good->get("k", Deadline::after(0.05)), Timeout);
  }
  SECTION("random garbage after the hello") {
    std::mt19937 rng(1234);
    for (int round = 0; round < 200; ++round) {
      auto fd = greetedConnect(port, "job", kTestSecret);
      std::string frame;
      frame += static_cast<char>(1 + rng() % 7);  // mostly known commands, then random fields
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
  auto a = TcpStoreServer::start("127.0.0.1", 0, "job", kTestSecret, PortRange{base, base + 3});
  auto b = TcpStoreServer::start("127.0.0.1", 0, "job", kTestSecret, PortRange{base, base + 3});
  CHECK(a->port() >= base);
  CHECK(a->port() <= base + 3);
  CHECK(b->port() >= base);
  CHECK(b->port() <= base + 3);
  CHECK(a->port() != b->port());
  auto store = TcpStore::connect("127.0.0.1", b->port(), "job", kTestSecret, Deadline::after(5));
  store->set("k", store::Bytes{7});
  CHECK(store->get("k", Deadline::after(5)) == store::Bytes{7});
  CHECK_THROWS_WITH(TcpStoreServer::start("127.0.0.1", 0, "job", kTestSecret, PortRange{a->port(), a->port()}),
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
    auto client = TcpStore::connect("127.0.0.1", server.port(), "job", kTestSecret, Deadline::after(5));
    REQUIRE_THROWS_WITH(client->get("k", Deadline::after(5)), Catch::Contains("sent a malformed reply"));
  }
  SECTION("a wait's missing keys repeated a million times name each key once") {
    std::string indexes;
    for (int i = 0; i < 1000000; ++i) wire::putU32(indexes, 0);
    FakeServer server(wire::encodeReply(wire::Status::Timeout, indexes));
    auto client = TcpStore::connect("127.0.0.1", server.port(), "job", kTestSecret, Deadline::after(5));
    try {
      client->wait({"a", "b"}, Deadline::after(5));
      FAIL("wait returned");
    } catch (const Timeout& e) {
      CHECK_THAT(e.what(), Catch::Contains("waiting for key 'a' in the store"));
    }
  }
}
