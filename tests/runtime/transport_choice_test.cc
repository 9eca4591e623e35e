// SPDX-License-Identifier: Apache-2.0
// WEFT_TRANSPORT and the default choice of transport per pair of ranks.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "common/error.h"
#include "runtime/transport_choice.h"
#include "weft_config.h"

namespace weft::runtime {
namespace {

using Names = std::vector<std::string>;

// Two hosts, A (ranks 0, 1) and B (ranks 2, 3); `net` says which ranks have an RDMA device.
Placement twoHosts(std::vector<bool> net) { return Placement{{"A", "A", "B", "B"}, std::move(net), {}, {}}; }

TEST_CASE("transport choice: default is shm within a host and tcp between hosts without RDMA", "[transport_choice]") {
  const Placement p = twoHosts({false, false, false, false});
  CHECK(chooseTransports("", p, 0) == Names{"", "shm", "tcp", "tcp"});
  CHECK(chooseTransports("", p, 3) == Names{"tcp", "tcp", "shm", ""});
  CHECK(transportsInUse("", p) == Names{"shm", "tcp"});
}

TEST_CASE("transport choice: ucx between hosts only where both ranks have an RDMA network", "[transport_choice]") {
  if (!WEFT_HAVE_UCX) return;  // built without UCX: the default never names it
  const Placement both = twoHosts({true, true, true, true});
  CHECK(chooseTransports("", both, 0) == Names{"", "shm", "ucx", "ucx"});
  CHECK(transportsInUse("", both) == Names{"shm", "ucx"});
  // Rank 3's host lacks it: every pair with rank 3 falls back to tcp, the same on both sides.
  const Placement some = twoHosts({true, true, true, false});
  CHECK(chooseTransports("", some, 0) == Names{"", "shm", "ucx", "tcp"});
  CHECK(chooseTransports("", some, 3) == Names{"tcp", "tcp", "shm", ""});
  CHECK(transportsInUse("", some) == Names{"shm", "ucx", "tcp"});
  // One host: shm, whatever the network.
  CHECK(transportsInUse("", Placement{{"A", "A"}, {true, true}, {}, {}}) == Names{"shm"});
}

TEST_CASE("transport choice: WEFT_TRANSPORT lists win, in their order", "[transport_choice]") {
  const Placement p = twoHosts({false, false, false, false});
  CHECK(chooseTransports("tcp", p, 1) == Names{"tcp", "", "tcp", "tcp"});
  CHECK(chooseTransports("shm,tcp", p, 1) == Names{"shm", "", "tcp", "tcp"});
  CHECK(transportsInUse("tcp", p) == Names{"tcp"});
  if (WEFT_HAVE_UCX) {
    // Named, ucx is used without an RDMA device (UCX then runs over its shm and TCP).
    CHECK(chooseTransports("ucx", p, 0) == Names{"", "ucx", "ucx", "ucx"});
    CHECK(chooseTransports("shm,ucx", p, 0) == Names{"", "shm", "ucx", "ucx"});
    CHECK(transportsInUse("shm,ucx,tcp", p) == Names{"shm", "ucx"});
  }
}

TEST_CASE("transport choice: bad lists are refused with a reason", "[transport_choice]") {
  CHECK_THROWS_AS(transportList("udp"), InvalidArgument);
  CHECK_THROWS_AS(transportList(","), InvalidArgument);
  CHECK_THROWS_WITH(transportList("shm,foo"), Catch::Contains("unknown transport 'foo'"));
  if (!WEFT_HAVE_UCX) CHECK_THROWS_WITH(transportList("ucx"), Catch::Contains("no UCX"));
  // shm alone cannot reach another host.
  CHECK_THROWS_AS(chooseTransports("shm", twoHosts({false, false, false, false}), 0), InvalidUsage);
  CHECK(chooseTransports("shm", Placement{{"A", "A"}, {false, false}, {}, {}}, 0) == Names{"", "shm"});
}

}  // namespace
}  // namespace weft::runtime
