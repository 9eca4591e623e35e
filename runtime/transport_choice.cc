// SPDX-License-Identifier: Apache-2.0
// WEFT_TRANSPORT and the per-peer choice of transport.
#include "runtime/transport_choice.h"

#include <algorithm>
#include <filesystem>
#include <set>

#include "common/error.h"
#include "weft_config.h"

namespace weft::runtime {
namespace {

const char* const kBuilt = WEFT_HAVE_UCX ? "shm, tcp, ucx" : "shm, tcp";

// The transport of `list` for one pair of ranks, or "" if none reaches.
std::string pick(const std::vector<std::string>& list, bool byDefault, bool sameHost, bool bothNet) {
  for (const std::string& t : list) {
    if (t == "shm" && !sameHost) continue;
    if (t == "ucx" && byDefault && (sameHost || !bothNet)) continue;
    return t;
  }
  return {};
}

}  // namespace

bool ucxNetworkHere() {
  if (!WEFT_HAVE_UCX) return false;
  std::error_code ec;
  std::filesystem::directory_iterator it("/sys/class/infiniband", ec);
  return !ec && it != std::filesystem::directory_iterator();
}

std::vector<std::string> transportList(const std::string& spec) {
  std::vector<std::string> out;
  const std::string s = spec.empty() ? (WEFT_HAVE_UCX ? "shm,ucx,tcp" : "shm,tcp") : spec;
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t end = std::min(s.find(',', pos), s.size());
    const std::string name = s.substr(pos, end - pos);
    pos = end + 1;
    if (name.empty()) continue;
    const bool known = name == "shm" || name == "tcp" || (name == "ucx" && WEFT_HAVE_UCX);
    if (!known) {
      throw InvalidArgument("WEFT_TRANSPORT='" + spec + "': " +
                            (name == "ucx" ? std::string("this build has no UCX (libucx-dev was missing when it was built)")
                                           : "unknown transport '" + name + "'") +
                            " (this build has " + kBuilt + ")");
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  if (out.empty()) throw InvalidArgument("WEFT_TRANSPORT='" + spec + "' names no transport");
  return out;
}

std::vector<std::string> transportsInUse(const std::string& spec, const Placement& where) {
  const std::vector<std::string> list = transportList(spec);
  const auto& hosts = where.hosts;
  // Kinds of pairs present: same host; other hosts with and without an RDMA network on both.
  std::set<std::string> all(hosts.begin(), hosts.end()), withNet;
  for (size_t r = 0; r < hosts.size(); ++r) {
    if (where.ucxNet[r]) withNet.insert(hosts[r]);
  }
  const bool shareHost = all.size() < hosts.size();
  const bool crossNet = withNet.size() >= 2;
  bool crossPlain = false;  // a pair on two hosts where one rank lacks the network
  for (size_t r = 0; r < hosts.size() && !crossPlain; ++r) crossPlain = !where.ucxNet[r] && all.size() >= 2;
  std::vector<std::string> out;
  auto add = [&](bool present, bool same, bool net) {
    if (!present) return;
    const std::string t = pick(list, spec.empty(), same, net);
    if (!t.empty() && std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
  };
  add(shareHost, true, false);
  add(crossNet, false, true);
  add(crossPlain, false, false);
  return out;
}

std::vector<std::string> chooseTransports(const std::string& spec, const Placement& where, int rank) {
  const std::vector<std::string> list = transportList(spec);
  const auto& hosts = where.hosts;
  std::vector<std::string> out(hosts.size());
  for (size_t peer = 0; peer < hosts.size(); ++peer) {
    if (int(peer) == rank) continue;
    const bool sameHost = hosts[peer] == hosts[size_t(rank)];
    out[peer] = pick(list, spec.empty(), sameHost, where.ucxNet[peer] && where.ucxNet[size_t(rank)]);
    if (out[peer].empty()) {
      throw InvalidUsage("rank " + std::to_string(peer) + " runs on another host (" + hosts[peer] + ", rank " +
                         std::to_string(rank) + " on " + hosts[size_t(rank)] + ") and WEFT_TRANSPORT='" + spec +
                         "' lists no transport between hosts (tcp, ucx)");
    }
  }
  return out;
}

}  // namespace weft::runtime
