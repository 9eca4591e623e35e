// SPDX-License-Identifier: Apache-2.0
// Bringing simulated hosts up and down, and cutting their links, with tests/netns/netns-hosts.
#include "tests/faults/netns.h"

#include <unistd.h>

#include <cstdio>
#include <sstream>

#include "tests/support/subprocess.h"

namespace weft::faults {

std::unique_ptr<NetnsHosts> NetnsHosts::up(const std::string& script, int count, std::string* why) {
  if (::geteuid() != 0) {
    *why = "needs root for network namespaces";
    return nullptr;
  }
  const std::string prefix = "wft" + std::to_string(::getpid() % 100000000);
  const test::ProcessResult r = test::run({script, "up", std::to_string(count), "--prefix", prefix},
                                          std::chrono::seconds(60));
  std::unique_ptr<NetnsHosts> hosts(new NetnsHosts(script, prefix));
  if (r.exitCode != 0) {
    *why = "netns-hosts up failed: " + test::describe(r);
    return nullptr;  // a failed up removes what it made
  }
  for (const std::string& line : test::splitLines(r.out)) {
    std::istringstream in(line);
    std::string word, ns, v4;
    int index = -1;
    if (in >> word >> index >> ns >> v4 && word == "host") hosts->addrs_.push_back(v4);
  }
  if (hosts->count() != count) {
    *why = "netns-hosts up printed " + std::to_string(hosts->count()) + " hosts, not " + std::to_string(count);
    return nullptr;  // the destructor takes down what was made
  }
  return hosts;
}

NetnsHosts::~NetnsHosts() {
  const test::ProcessResult r = test::run({script_, "down", prefix_}, std::chrono::seconds(60));
  if (r.exitCode != 0) {
    std::fprintf(stderr, "fault_trials: netns-hosts down %s: %s\n", prefix_.c_str(), test::describe(r).c_str());
  }
}

std::vector<std::string> NetnsHosts::exec(int host) const { return {script_, "exec", prefix_, std::to_string(host)}; }

bool NetnsHosts::link(int host, bool up) const {
  return test::run({script_, "link", prefix_, std::to_string(host), up ? "up" : "down"}).exitCode == 0;
}

}  // namespace weft::faults
