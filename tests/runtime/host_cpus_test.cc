// SPDX-License-Identifier: Apache-2.0
// Counting the CPUs a host's ranks share (Note [Spinning and cores]): the union of their
// published affinities, so that ranks bound one to a core still spin.
#include <sched.h>

#include <catch2/catch.hpp>
#include <initializer_list>
#include <string>

#include "runtime/config.h"
#include "runtime/host_cpus.h"

using weft::runtime::Placement;

namespace {

// A published mask holding `cpus`, as ownCpus() writes one.
std::string mask(std::initializer_list<int> cpus) {
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : cpus) CPU_SET(c, &set);
  return weft::runtime::encodeCpus(set);
}

}  // namespace

TEST_CASE("a host's ranks count the CPUs they may run on together", "[bootstrap]") {
  Placement where;
  where.hosts = {"a", "a", "b", "a", "b"};
  where.cpus = {mask({0}), mask({1}), mask({0, 1, 2, 3}), mask({1}), mask({40})};
  CHECK(weft::runtime::ranksOfHost(where, 0) == 3);
  CHECK(weft::runtime::cpusOfHost(where, 0) == 2);  // ranks 0, 1 and 3: CPUs 0 and 1
  CHECK(weft::runtime::cpusOfHost(where, 3) == 2);
  CHECK(weft::runtime::ranksOfHost(where, 2) == 2);
  CHECK(weft::runtime::cpusOfHost(where, 2) == 5);  // CPUs 0-3 and 40 on host b
  // Three ranks on two CPUs wait without spinning; two ranks bound one to a core spin.
  CHECK(weft::runtime::autoSpinUs(3, 2) == 0);
  where.hosts = {"a", "a"};
  where.cpus = {mask({0}), mask({1})};
  CHECK(weft::runtime::autoSpinUs(weft::runtime::ranksOfHost(where, 0), weft::runtime::cpusOfHost(where, 0)) > 0);
  where.cpus = {mask({1}), mask({1})};  // both on one CPU
  CHECK(weft::runtime::autoSpinUs(weft::runtime::ranksOfHost(where, 1), weft::runtime::cpusOfHost(where, 1)) == 0);
}

TEST_CASE("a rank that published no affinity counts as this thread's own", "[bootstrap]") {
  cpu_set_t own;
  REQUIRE(::sched_getaffinity(0, sizeof own, &own) == 0);
  CHECK(weft::runtime::ownCpus() == std::string(reinterpret_cast<const char*>(&own), weft::runtime::ownCpus().size()));
  Placement where;
  where.hosts = {"a", "a"};
  where.cpus = {"", ""};
  CHECK(weft::runtime::cpusOfHost(where, 0) == CPU_COUNT(&own));
  where.cpus.clear();  // a placement made without masks (older paths)
  CHECK(weft::runtime::cpusOfHost(where, 1) == CPU_COUNT(&own));
}
