// SPDX-License-Identifier: Apache-2.0
// getifaddrs enumeration and the NCCL_SOCKET_IFNAME-like matching rules of interfaces.h.
#include "transport/tcp/interfaces.h"

#include <ifaddrs.h>
#include <net/if.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "common/error.h"

namespace weft::transport::tcp {
namespace {

bool linkLocal6(const SockAddr& a) {
  const auto& b = reinterpret_cast<const sockaddr_in6*>(&a.storage)->sin6_addr.s6_addr;
  return b[0] == 0xfe && (b[1] & 0xc0) == 0x80;
}

struct Spec {
  bool exclude = false;
  bool exact = false;
  std::vector<std::string> names;
};

Spec parseSpec(const std::string& spec) {
  Spec s;
  size_t i = 0;
  if (i < spec.size() && spec[i] == '^') s.exclude = true, ++i;
  if (i < spec.size() && spec[i] == '=') s.exact = true, ++i;
  while (i <= spec.size()) {
    size_t comma = spec.find(',', i);
    if (comma == std::string::npos) comma = spec.size();
    if (comma > i) s.names.push_back(spec.substr(i, comma - i));
    i = comma + 1;
  }
  return s;
}

bool matches(const Spec& s, const std::string& name) {
  const bool hit = std::any_of(s.names.begin(), s.names.end(), [&](const std::string& n) {
    return s.exact ? name == n : name.compare(0, n.size(), n) == 0;
  });
  return hit != s.exclude;
}

// Lower is better: non-loopback IPv4, non-loopback IPv6, loopback IPv4, loopback IPv6.
int rankOf(const Interface& i) { return (i.loopback ? 2 : 0) + (i.addr.family() == AF_INET6 ? 1 : 0); }

}  // namespace

std::vector<Interface> listInterfaces() {
  ifaddrs* raw = nullptr;
  if (::getifaddrs(&raw) != 0) throw SystemError("tcp: getifaddrs failed", errno);
  std::unique_ptr<ifaddrs, void (*)(ifaddrs*)> list(raw, ::freeifaddrs);
  std::vector<Interface> out;
  for (ifaddrs* i = raw; i != nullptr; i = i->ifa_next) {
    if (i->ifa_addr == nullptr || !(i->ifa_flags & IFF_UP)) continue;
    const int family = i->ifa_addr->sa_family;
    if (family != AF_INET && family != AF_INET6) continue;
    Interface itf;
    itf.name = i->ifa_name;
    itf.loopback = (i->ifa_flags & IFF_LOOPBACK) != 0;
    itf.addr.len = family == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
    std::memcpy(&itf.addr.storage, i->ifa_addr, itf.addr.len);
    if (family == AF_INET6) {
      if (linkLocal6(itf.addr)) continue;
      reinterpret_cast<sockaddr_in6*>(&itf.addr.storage)->sin6_scope_id = 0;
    }
    itf.addr.setPort(0);
    out.push_back(std::move(itf));
  }
  return out;
}

Interface chooseInterface(const std::string& spec, const std::vector<Interface>& all, int family) {
  std::vector<Interface> candidates;
  for (const Interface& i : all) {
    if (family == AF_UNSPEC || i.addr.family() == family) candidates.push_back(i);
  }
  const Interface* best = nullptr;
  if (spec.empty()) {
    for (const Interface& i : candidates) {
      if (i.name.compare(0, 6, "docker") == 0) continue;
      if (!best || rankOf(i) < rankOf(*best)) best = &i;
    }
    if (best && rankOf(*best) < 2) return *best;
    // Only loopback (or nothing) is left: IPv4 loopback by default.
    for (const Interface& i : candidates) {
      if (i.loopback && i.addr.family() == AF_INET) return i;
    }
    if (best) return *best;
    return Interface{"lo", *SockAddr::parse(family == AF_INET6 ? "::1" : "127.0.0.1", 0), true};
  }
  const Spec s = parseSpec(spec);
  for (const Interface& i : candidates) {
    if (matches(s, i.name) && (!best || rankOf(i) < rankOf(*best))) best = &i;
  }
  if (best) return *best;
  std::string seen;
  for (const Interface& i : all) seen += (seen.empty() ? "" : ", ") + i.name + " (" + i.addr.host() + ")";
  throw InvalidArgument("tcp: no network interface matches WEFT_SOCKET_IFNAME=\"" + spec + "\"" +
                        (family == AF_INET ? " with IPv4" : family == AF_INET6 ? " with IPv6" : "") +
                        "; interfaces that are up: " + (seen.empty() ? "none" : seen));
}

Interface chooseInterface(const std::string& spec, int family) {
  return chooseInterface(spec, listInterfaces(), family);
}

std::string chooseAddress(const std::string& spec, int family) { return chooseInterface(spec, family).addr.host(); }

}  // namespace weft::transport::tcp
