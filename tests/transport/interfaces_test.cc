// SPDX-License-Identifier: Apache-2.0
// Interface choice for the TCP transport: spec parsing on made-up interface lists, and on this host.
#include <catch2/catch.hpp>

#include "common/error.h"
#include "transport/tcp/interfaces.h"

namespace weft::test {
namespace {

using namespace weft::transport::tcp;

Interface itf(const std::string& name, const std::string& host, bool loopback = false) {
  return Interface{name, *SockAddr::parse(host, 0), loopback};
}

const std::vector<Interface> kHost{
    itf("lo", "127.0.0.1", true), itf("lo", "::1", true),         itf("docker0", "172.17.0.1"),
    itf("eth0", "2001:db8::5"),   itf("eth0", "10.0.0.2"),         itf("eth1", "10.1.0.2"),
    itf("ib0", "fd00::7"),
};

std::string pick(const std::string& spec, const std::vector<Interface>& c = kHost) {
  const Interface i = chooseInterface(spec, c);
  return i.name + " " + i.addr.host();
}

}  // namespace

TEST_CASE("tcp interfaces: the default skips loopback and docker and prefers IPv4", "[transport][tcp]") {
  CHECK(pick("") == "eth0 10.0.0.2");
  CHECK(pick("", {kHost[0], kHost[1], kHost[2], kHost[6]}) == "ib0 fd00::7");
  CHECK(pick("", {kHost[1], kHost[0], kHost[2]}) == "lo 127.0.0.1");
  CHECK(pick("", {}) == "lo 127.0.0.1");
}

TEST_CASE("tcp interfaces: prefixes, exclusions and exact names", "[transport][tcp]") {
  CHECK(pick("eth") == "eth0 10.0.0.2");
  CHECK(pick("eth1,ib") == "eth1 10.1.0.2");
  CHECK(pick("ib") == "ib0 fd00::7");
  CHECK(pick("lo") == "lo 127.0.0.1");
  CHECK(pick("^eth,docker") == "ib0 fd00::7");
  CHECK(pick("^eth,docker,ib") == "lo 127.0.0.1");
  CHECK(pick("=eth1") == "eth1 10.1.0.2");
  CHECK(pick("^=eth0,eth1,docker0,ib0") == "lo 127.0.0.1");
  CHECK_THROWS_AS(pick("=eth"), InvalidArgument);
  CHECK_THROWS_WITH(pick("wlan"), Catch::Contains("wlan") && Catch::Contains("eth0 (10.0.0.2)"));
}

TEST_CASE("tcp interfaces: this host", "[transport][tcp]") {
  CHECK(chooseAddress("lo") == "127.0.0.1");
  CHECK(chooseAddress("=lo") == "127.0.0.1");
  CHECK(SockAddr::parse(chooseAddress(""), 0).has_value());
  CHECK_THROWS_WITH(chooseAddress("=nosuchif"), Catch::Contains("nosuchif") && Catch::Contains("lo (127.0.0.1)"));
  bool other = false;
  for (const Interface& i : listInterfaces()) other |= i.name.compare(0, 2, "lo") != 0;
  if (other) CHECK(chooseAddress("^lo") != "127.0.0.1");
  else CHECK_THROWS_AS(chooseAddress("^lo"), InvalidArgument);
  for (const Interface& i : listInterfaces()) {
    CHECK_FALSE(i.addr.host().rfind("fe80", 0) == 0);  // link-local addresses are left out
  }
}

}  // namespace weft::test
