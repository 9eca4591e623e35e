// SPDX-License-Identifier: Apache-2.0
// Simulated hosts for the fault trials, through tests/netns/netns-hosts (root only).
#pragma once

#include <memory>
#include <string>
#include <vector>

namespace weft::faults {

// Hosts brought up once for a whole run and taken down by the destructor (netns-hosts down, which
// also stops anything left inside them). Not thread-safe.
class NetnsHosts {
 public:
  // nullptr, with the reason in *why, where namespaces cannot be made (not root, no iproute2).
  static std::unique_ptr<NetnsHosts> up(const std::string& script, int count, std::string* why);
  ~NetnsHosts();
  NetnsHosts(const NetnsHosts&) = delete;
  NetnsHosts& operator=(const NetnsHosts&) = delete;

  int count() const { return int(addrs_.size()); }
  const std::string& addr(int host) const { return addrs_[size_t(host)]; }
  // The argv prefix that runs a command inside `host` (as weft expects: WEFT_HOSTID and
  // WEFT_SOCKET_IFNAME set; the command keeps its pid, so signals reach it).
  std::vector<std::string> exec(int host) const;
  // Pulls or plugs the cable of `host` (its port on the switch). Returns whether it worked.
  bool link(int host, bool up) const;

 private:
  NetnsHosts(std::string script, std::string prefix) : script_(std::move(script)), prefix_(std::move(prefix)) {}
  std::string script_, prefix_;
  std::vector<std::string> addrs_;
};

}  // namespace weft::faults
