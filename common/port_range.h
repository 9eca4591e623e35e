// SPDX-License-Identifier: Apache-2.0
// WEFT_PORT_RANGE: the ports weft's listening sockets may take when no port is given.
#pragma once

#include <string>

namespace weft {

// [lo, hi], both inclusive; lo == 0: any port (the kernel's choice).
struct PortRange {
  int lo = 0;
  int hi = 0;
  bool any() const { return lo == 0; }
  std::string str() const { return std::to_string(lo) + "-" + std::to_string(hi); }
};

// "40000-40100" (or one port, "40000"); "" is any port. Throws InvalidArgument naming `name`.
PortRange parsePortRange(const std::string& name, const std::string& value);

// Calls tryPort(p) for the ports of `range`, starting at a random one so that ranks of one host
// spread over the range, until it returns true; returns that port, or 0 when none did.
template <class TryPort>
int firstFreePort(const PortRange& range, TryPort&& tryPort);

namespace detail {
int randomStart(int lo, int hi);
}

template <class TryPort>
int firstFreePort(const PortRange& range, TryPort&& tryPort) {
  const int n = range.hi - range.lo + 1;
  const int start = detail::randomStart(range.lo, range.hi) - range.lo;
  for (int i = 0; i < n; ++i) {
    const int port = range.lo + (start + i) % n;
    if (tryPort(port)) return port;
  }
  return 0;
}

}  // namespace weft
