// SPDX-License-Identifier: Apache-2.0
// WEFT_PORT_RANGE parsing and the random start of a port search.
#include "common/port_range.h"

#include <random>

#include "common/error.h"

namespace weft {

PortRange parsePortRange(const std::string& name, const std::string& value) {
  if (value.empty()) return {};
  const auto bad = [&](const char* why) {
    return InvalidArgument(name + "='" + value + "': " + why + " (expected LO-HI, e.g. 40000-40100)");
  };
  const size_t dash = value.find('-');
  const std::string loText = value.substr(0, dash), hiText = dash == std::string::npos ? loText : value.substr(dash + 1);
  const auto number = [&](const std::string& t) {
    if (t.empty() || t.size() > 5 || t.find_first_not_of("0123456789") != std::string::npos) throw bad("not a port number");
    return std::stoi(t);
  };
  const int lo = number(loText), hi = number(hiText);
  if (lo < 1 || hi > 65535) throw bad("ports are 1 to 65535");
  if (lo > hi) throw bad("the range is empty");
  return {lo, hi};
}

namespace detail {
int randomStart(int lo, int hi) {
  std::random_device rd;
  return std::uniform_int_distribution<int>(lo, hi)(rd);
}
}  // namespace detail

}  // namespace weft
