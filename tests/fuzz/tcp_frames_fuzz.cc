// SPDX-License-Identifier: Apache-2.0
// Fuzz target: what a TCP peer sends after its hello (message headers, each with its stamp, and
// payloads: Note [TCP framing]), read by a real TcpEndpoint from one end of a socket pair. Any
// input is either read as messages numbered in order and no larger than a slot, or ends the link
// with RemoteError; nothing else may happen (no other exception, no out-of-bounds access).
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "transport/tcp/endpoint.h"
#include "transport/tcp/poller.h"

namespace {

constexpr uint32_t kSlots = 4;
constexpr size_t kSlotBytes = 256;  // small, so that oversized chunks are easy to reach

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace weft::transport::tcp;
  static const auto poller = [] {
    weft::log::setLevel(weft::log::Level::None);  // every refusal logs a warning: tens of thousands
    return std::make_shared<Poller>(1);
  }();
  if (size > (64 << 10)) return 0;  // must fit the socket buffer: written before reading starts
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) __builtin_trap();
  const int buffer = 256 << 10;
  ::setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &buffer, sizeof(buffer));
  ::setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &buffer, sizeof(buffer));
  for (size_t off = 0; off < size;) {
    const ssize_t w = ::write(sv[1], data + off, size - off);
    if (w <= 0) break;  // the rest does not fit: fuzz what went in
    off += size_t(w);
  }
  ::shutdown(sv[1], SHUT_WR);  // the peer is done: end of stream after the input
  std::vector<Socket> socks;
  socks.emplace_back(sv[0]);
  {
    TcpEndpoint ep(1, kSlots, kSlotBytes, std::move(socks), poller);
    try {
      for (int idle = 0; idle < 64;) {
        size_t bytes = 0;
        const std::byte* chunk = ep.tryRecvSlot(&bytes);
        if (!chunk) {
          ++idle;
          continue;
        }
        idle = 0;
        if (bytes > kSlotBytes) __builtin_trap();  // a chunk larger than a slot got through
        volatile uint8_t sum = 0;
        for (size_t i = 0; i < bytes; ++i) sum = uint8_t(sum + uint8_t(chunk[i]));  // every byte is ours to read
        (void)ep.recvStamp();
        ep.releaseRecv();
      }
    } catch (const weft::RemoteError&) {
      // refused: the link ends here
    }
  }
  ::close(sv[1]);
  return 0;
}
