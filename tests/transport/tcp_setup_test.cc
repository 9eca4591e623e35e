// SPDX-License-Identifier: Apache-2.0
// TCP set-up: strangers on the listener are refused without breaking the real connection,
// mismatched settings and missing peers fail clearly, and bad frames are a RemoteError.
#include <catch2/catch.hpp>

#include <sys/socket.h>

#include <chrono>
#include <memory>
#include <cstring>
#include <thread>

#include "common/error.h"
#include "common/hash.h"
#include "common/port_range.h"
#include "tests/transport/harness.h"
#include "transport/tcp/wire.h"

namespace weft::test {
namespace {

using namespace weft::transport::tcp;
using transport::Endpoint;
using transport::Transport;

TcpOptions options(int rank, int nranks, const std::string& tag) {
  TcpOptions o;
  o.rank = rank;
  o.nranks = nranks;
  o.jobTag = tag;
  o.slots = 4;
  o.slotBytes = 1024;
  o.ifname = "lo";
  o.setupTimeoutSeconds = 10;
  o.secret = auth::derived("tcp_setup_test");
  return o;
}

// Plays the connector's part of the handshake (Note [Job secret]) on `s`, which has sent
// `hello`, proving `secret`: reads the challenge and answers it.
void answerChallenge(const Socket& s, const Hello& hello, const auth::Secret& secret) {
  Challenge c;
  readAll(s, &c, sizeof(c), Deadline::after(5), "the listener");
  const Digest p = auth::proof(secret, auth::Role::Connector, kAuthTag, hello.nonce, c.nonce);
  writeAll(s, p.data(), p.size(), Deadline::after(5), "the listener");
}

// A raw connection to a listener blob that sends `bytes` (maybe none) and stays open.
Socket stranger(const std::vector<std::byte>& blob, const void* bytes, size_t n) {
  const auto a = decodeAddress(blob);
  REQUIRE(a.has_value());
  Socket s = connectTo(toSockAddr(*a), Deadline::after(5), "the listener");
  if (n > 0) writeAll(s, bytes, n, Deadline::after(5), "the listener");
  return s;
}

Hello helloFrom(const TcpOptions& o, int rank, uint16_t index) {
  Hello h;
  h.index = index;
  h.rank = rank;
  h.slots = o.slots;
  h.tagHash = fnv1a(o.jobTag);
  h.slotBytes = o.slotBytes;
  h.nsocks = uint32_t(o.nsocks);
  h.nonce = auth::randomBytes();
  return h;
}

// Waits for one chunk on `ep` and returns its bytes.
std::vector<std::byte> receive(Transport& t, Endpoint& ep) {
  const Deadline deadline = Deadline::after(10);
  size_t bytes = 0;
  while (!deadline.expired()) {
    const uint32_t token = t.waitToken();
    if (const std::byte* p = ep.tryRecvSlot(&bytes)) {
      std::vector<std::byte> out(p, p + bytes);
      ep.releaseRecv();
      return out;
    }
    t.waitChange(token, 100000);
  }
  throw std::runtime_error("no chunk arrived");
}

}  // namespace

TEST_CASE("tcp: strangers on the listener are refused and the real peer still connects", "[transport][tcp]") {
  const std::string tag = uniqueTag();
  TcpTransport t0(options(0, 2, tag));
  TcpTransport t1(options(1, 2, tag));
  const auto blob0 = t0.listen();
  const auto blob1 = t1.listen();

  std::vector<Socket> strangers;
  const char garbage[64] = "GET / HTTP/1.0\r\n\r\n";
  strangers.push_back(stranger(blob0, garbage, sizeof(garbage)));
  const Hello otherJob = helloFrom(options(1, 2, tag + "-other"), 1, 0);
  strangers.push_back(stranger(blob0, &otherJob, sizeof(otherJob)));
  const Hello selfClaim = helloFrom(options(0, 2, tag), 0, 0);  // rank 0 never connects to rank 0
  strangers.push_back(stranger(blob0, &selfClaim, sizeof(selfClaim)));
  const Hello badIndex = helloFrom(options(1, 2, tag), 1, 5);
  strangers.push_back(stranger(blob0, &badIndex, sizeof(badIndex)));
  strangers.push_back(stranger(blob0, nullptr, 0));               // says nothing at all
  strangers.push_back(stranger(blob0, &otherJob, 10));            // half a hello

  // A stranger that knows the job tag but not the secret: its hello is fine, its proof is not.
  const Hello noSecret = helloFrom(options(1, 2, tag), 1, 0);
  strangers.push_back(stranger(blob0, &noSecret, sizeof(noSecret)));
  std::thread impostor([&] { answerChallenge(strangers.back(), noSecret, auth::derived("another job")); });

  std::unique_ptr<Endpoint> e1;
  std::exception_ptr err;
  std::thread rank1([&] {
    try {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));  // strangers arrive first
      e1 = t1.connect(0, blob0);
    } catch (...) {
      err = std::current_exception();
    }
  });
  std::unique_ptr<Endpoint> e0;
  REQUIRE_NOTHROW(e0 = t0.connect(1, blob1));
  rank1.join();
  impostor.join();
  if (err) std::rethrow_exception(err);
  t0.finishSetup();
  t1.finishSetup();

  std::byte* slot = e1->trySendSlot();
  REQUIRE(slot != nullptr);
  std::memcpy(slot, "hello", 5);
  e1->postSend(5, transport::Stamp{});
  const auto got = receive(t0, *e0);
  REQUIRE(got.size() == 5);
  CHECK(std::memcmp(got.data(), "hello", 5) == 0);
  CHECK(t0.peerAlive(1));
}

TEST_CASE("tcp: a peer with other slot settings is an InvalidArgument", "[transport][tcp]") {
  const std::string tag = uniqueTag();
  TcpTransport t0(options(0, 2, tag));
  TcpOptions o1 = options(1, 2, tag);
  o1.slotBytes = 2048;
  TcpTransport t1(o1);
  const auto blob0 = t0.listen();
  t1.listen();
  CHECK_THROWS_AS(t1.connect(0, blob0), InvalidArgument);
  CHECK_THROWS_AS(t1.connect(0, std::vector<std::byte>(3)), InvalidArgument);
  CHECK_THROWS_AS(t1.connect(1, blob0), InvalidArgument);  // itself
}

TEST_CASE("tcp: ranks with different job secrets refuse each other", "[transport][tcp]") {
  const std::string tag = uniqueTag();
  TcpOptions o0 = options(0, 2, tag), o1 = options(1, 2, tag);
  o0.setupTimeoutSeconds = 1;
  o1.secret = auth::derived("not the same job");
  TcpTransport t0(o0), t1(o1);
  const auto blob0 = t0.listen();
  const auto blob1 = t1.listen();
  std::exception_ptr err;
  std::thread rank1([&] {
    try {
      t1.connect(0, blob0);
    } catch (...) {
      err = std::current_exception();
    }
  });
  // Rank 0 refuses rank 1's proof and waits on for the real rank 1 until its deadline.
  CHECK_THROWS_AS(t0.connect(1, blob1), Timeout);
  rank1.join();
  // Rank 1 refused rank 0's proof first: it knows whom it connected to.
  REQUIRE(err);
  CHECK_THROWS_WITH(std::rethrow_exception(err), Catch::Contains("does not know the job secret"));
}

TEST_CASE("tcp: a peer that never connects times out naming it", "[transport][tcp]") {
  const std::string tag = uniqueTag();
  TcpOptions o0 = options(0, 2, tag);
  o0.setupTimeoutSeconds = 0.3;
  TcpTransport t0(o0);
  TcpTransport t1(options(1, 2, tag));
  t0.listen();
  const auto blob1 = t1.listen();
  const auto start = std::chrono::steady_clock::now();
  CHECK_THROWS_WITH(t0.connect(1, blob1), Catch::Contains("rank 1") && Catch::Contains("timed out"));
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}

// Rank 0's endpoint to a fake rank 1 that knows the hello and the secret and then sends `hdr`
// and `payloadBytes` bytes; the endpoint's first receive is what the test looks at.
std::unique_ptr<Endpoint> fromPoser(TcpTransport& t0, const TcpOptions& o0, const std::vector<std::byte>& blob0,
                                    MsgHeader hdr, size_t payloadBytes) {
  const Hello h = helloFrom(o0, 1, 0);
  Socket fake = stranger(blob0, &h, sizeof(h));
  std::thread poser([&] {
    answerChallenge(fake, h, o0.secret);
    std::vector<std::byte> payload(payloadBytes);
    writeAll(fake, &hdr, sizeof(hdr), Deadline::after(5), "rank 0");
    writeAll(fake, payload.data(), payload.size(), Deadline::after(5), "rank 0");
  });
  AddressBlob a = *decodeAddress(blob0);  // rank 0 is passive: only the blob's shape matters
  a.rank = 1;
  auto e0 = t0.connect(1, encodeAddress(a));
  poser.join();
  return e0;
}

TEST_CASE("tcp: a chunk larger than a slot is a RemoteError", "[transport][tcp]") {
  const TcpOptions o0 = options(0, 2, uniqueTag());
  TcpTransport t0(o0);
  const auto blob0 = t0.listen();
  const uint64_t big = o0.slotBytes + 1;
  MsgHeader hdr{0, big, {}, 0};
  hdr.check = headerCheck(hdr);  // a well-formed header: only its size is wrong
  auto e0 = fromPoser(t0, o0, blob0, hdr, big);
  CHECK_THROWS_AS(receive(t0, *e0), RemoteError);
  CHECK_FALSE(t0.peerAlive(1));
}

TEST_CASE("tcp: a header that fails its check is a RemoteError, even with a length that fits", "[transport][tcp]") {
  const TcpOptions o0 = options(0, 2, uniqueTag());
  TcpTransport t0(o0);
  const auto blob0 = t0.listen();
  MsgHeader hdr{0, 5, {}, 0};
  hdr.check = headerCheck(hdr);
  hdr.bytes = 7;  // garbled after the check: the receiver would wait for 2 bytes that never come
  auto e0 = fromPoser(t0, o0, blob0, hdr, 5);
  CHECK_THROWS_WITH(receive(t0, *e0), Catch::Contains("fails its check"));
  CHECK_FALSE(t0.peerAlive(1));
}

}  // namespace weft::test

namespace weft::test {
namespace {

// The first of `n` consecutive ports that were free a moment ago (an ephemeral port the kernel
// gave, and the ones after it, each tried).
int freeRun(int n) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    Socket probe = transport::tcp::listenOn(*SockAddr::parse("127.0.0.1", 0));
    const int base = localAddress(probe).port();
    probe.reset();
    bool free = base + n <= 65535;
    for (int p = base; free && p < base + n; ++p) {
      try {
        Socket s = transport::tcp::listenOn(*SockAddr::parse("127.0.0.1", uint16_t(p)));
      } catch (const SystemError&) {
        free = false;
      }
    }
    if (free) return base;
  }
  FAIL("no run of free ports found");
  return 0;
}

}  // namespace

TEST_CASE("WEFT_PORT_RANGE values", "[transport][tcp][ports]") {
  CHECK(parsePortRange("WEFT_PORT_RANGE", "").any());
  const PortRange r = parsePortRange("WEFT_PORT_RANGE", "40000-40010");
  CHECK((r.lo == 40000 && r.hi == 40010 && !r.any()));
  const PortRange one = parsePortRange("WEFT_PORT_RANGE", "40000");
  CHECK((one.lo == 40000 && one.hi == 40000));
  for (const char* bad : {"0-5", "5-3", "a-b", "40000-70000", "1-", "-5", "40000-40010-40020", " 1-2"}) {
    INFO(bad);
    CHECK_THROWS_WITH(parsePortRange("WEFT_PORT_RANGE", bad), Catch::Contains("WEFT_PORT_RANGE='" + std::string(bad) + "'"));
  }
}

TEST_CASE("tcp: listeners take ports of WEFT_PORT_RANGE", "[transport][tcp][ports]") {
  const int base = freeRun(6);
  const std::string tag = uniqueTag();
  std::vector<std::unique_ptr<TcpTransport>> ts;
  std::vector<int> ports;
  for (int r = 0; r < 3; ++r) {
    TcpOptions o = options(r, 3, tag);
    o.ports = {base, base + 5};
    ts.push_back(std::make_unique<TcpTransport>(o));
    const auto a = decodeAddress(ts.back()->listen());
    REQUIRE(a.has_value());
    ports.push_back(a->port);
  }
  for (int p : ports) {
    CHECK(p >= base);
    CHECK(p <= base + 5);
  }
  CHECK(ports[0] != ports[1]);
  CHECK(ports[1] != ports[2]);
  CHECK(ports[0] != ports[2]);
}

TEST_CASE("tcp: a WEFT_PORT_RANGE with every port taken is a SystemError naming it", "[transport][tcp][ports]") {
  const int base = freeRun(1);
  Socket taken = transport::tcp::listenOn(*SockAddr::parse("127.0.0.1", uint16_t(base)));
  TcpOptions o = options(0, 2, uniqueTag());
  o.ports = {base, base};
  TcpTransport t(o);
  CHECK_THROWS_WITH(t.listen(), Catch::Contains("WEFT_PORT_RANGE=" + std::to_string(base) + "-" + std::to_string(base)));
}

}  // namespace weft::test
