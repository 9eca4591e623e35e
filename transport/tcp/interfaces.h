// SPDX-License-Identifier: Apache-2.0
// Choosing the network interface (and its address) the TCP transport listens on, from a
// WEFT_SOCKET_IFNAME-style spec.
#pragma once

#include <string>
#include <vector>

#include "transport/tcp/socket.h"

namespace weft::transport::tcp {

// One address of an interface that is UP (IPv6 link-local addresses are left out).
struct Interface {
  std::string name;
  SockAddr addr;  // port 0
  bool loopback = false;
};

// The usable addresses of this host, in getifaddrs order. Throws SystemError.
std::vector<Interface> listInterfaces();

// Picks one address among `candidates` for `spec`:
//   ""            the first non-loopback, non-docker interface with IPv4, else one with a global
//                 IPv6 address, else loopback (127.0.0.1 if nothing else exists);
//   "eth,ib"      interfaces whose names start with one of the prefixes;
//   "^docker,lo"  interfaces whose names start with none of them;
//   "=eth0"       exact names (also "^=eth0").
// Among matches IPv4 beats IPv6 and non-loopback beats loopback. Throws InvalidArgument naming
// the spec and the interfaces seen when nothing matches.
// `family` (AF_INET, AF_INET6, or AF_UNSPEC for either) leaves out addresses of the other family
// first (WEFT_SOCKET_FAMILY).
Interface chooseInterface(const std::string& spec, const std::vector<Interface>& candidates, int family = AF_UNSPEC);
Interface chooseInterface(const std::string& spec, int family = AF_UNSPEC);

// The address the transport would listen on for `spec`, e.g. "10.0.0.2" or "::1".
std::string chooseAddress(const std::string& spec, int family = AF_UNSPEC);

}  // namespace weft::transport::tcp
