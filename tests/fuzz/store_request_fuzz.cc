// SPDX-License-Identifier: Apache-2.0
// Fuzz target: the bytes a store client (or a stranger) sends the server (parseRequest), before
// and after the greeting. A complete request never claims more bytes than it was given.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "runtime/store/tcp_wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace wire = weft::store::wire;
  const std::string_view buf(reinterpret_cast<const char*>(data), size);
  for (bool greeted : {false, true}) {
    wire::Request req;
    size_t consumed = 0;
    if (wire::parseRequest(buf, greeted, &req, &consumed) == wire::Parse::Complete &&
        (consumed == 0 || consumed > size)) {
      __builtin_trap();
    }
  }
  return 0;
}
