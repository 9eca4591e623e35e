// SPDX-License-Identifier: Apache-2.0
// WEFT_TRANSPORT and the per-peer choice of transport.
#include "runtime/transport_choice.h"

#include <algorithm>

#include "common/error.h"

namespace weft::runtime {

std::vector<std::string> transportList(const std::string& spec) {
  std::vector<std::string> out;
  const std::string s = spec.empty() ? "shm,tcp" : spec;
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t end = std::min(s.find(',', pos), s.size());
    const std::string name = s.substr(pos, end - pos);
    pos = end + 1;
    if (name.empty()) continue;
    if (name != "shm" && name != "tcp") {
      throw InvalidArgument("WEFT_TRANSPORT='" + spec + "': unknown transport '" + name + "' (this build has shm, tcp)");
    }
    if (std::find(out.begin(), out.end(), name) == out.end()) out.push_back(name);
  }
  if (out.empty()) throw InvalidArgument("WEFT_TRANSPORT='" + spec + "' names no transport");
  return out;
}

std::vector<std::string> transportsInUse(const std::string& spec, const std::vector<std::string>& hosts) {
  std::vector<std::string> sorted = hosts;
  std::sort(sorted.begin(), sorted.end());
  const bool shareHost = std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end();
  const bool crossHost = !sorted.empty() && sorted.front() != sorted.back();
  std::vector<std::string> out;
  for (bool same : {true, false}) {
    if (same ? !shareHost : !crossHost) continue;
    for (const std::string& t : transportList(spec)) {
      if (t == "shm" && !same) continue;
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
      break;
    }
  }
  return out;
}

std::vector<std::string> chooseTransports(const std::string& spec, const std::vector<std::string>& hosts, int rank) {
  const std::vector<std::string> list = transportList(spec);
  std::vector<std::string> out(hosts.size());
  for (size_t peer = 0; peer < hosts.size(); ++peer) {
    if (int(peer) == rank) continue;
    const bool sameHost = hosts[peer] == hosts[size_t(rank)];
    for (const std::string& t : list) {
      if (t == "shm" && !sameHost) continue;
      out[peer] = t;
      break;
    }
    if (out[peer].empty()) {
      throw InvalidUsage("rank " + std::to_string(peer) + " runs on another host (" + hosts[peer] + ", rank " +
                         std::to_string(rank) + " on " + hosts[size_t(rank)] + ") and WEFT_TRANSPORT='" + spec +
                         "' lists no transport between hosts (tcp)");
    }
  }
  return out;
}

}  // namespace weft::runtime
