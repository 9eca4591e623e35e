// SPDX-License-Identifier: Apache-2.0
// A test-only LD_PRELOAD hook for the fault trials: after SIGUSR1, the next TCP message header this
// process sends leaves with one byte changed. weft itself has no hook; its TCP endpoint is the only
// caller of sendmsg (transport/tcp/endpoint.cc), and each batch it sends starts with a 40-byte
// MsgHeader {seq, bytes, stamp[2]} (transport/tcp/wire.h) followed by that message's payload.
//
// Only headers are changed: a flipped payload byte is invisible to weft by design (it carries no
// checksum; TCP's own catches what the wire garbles), whereas a header must never be trusted.
// CORRUPT_FRAME_SEED=SEED picks the byte (0-31: seq, bytes or the stamp) and the bits flipped.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

enum { kHeaderBytes = 40, kMaxIov = 64 };

static atomic_int armed;
static unsigned offset;
static unsigned char mask = 0x80;

static void onSignal(int sig) {
  (void)sig;
  atomic_store(&armed, 1);
}

__attribute__((constructor)) static void setUp(void) {
  const char* seed = getenv("CORRUPT_FRAME_SEED");
  if (seed == NULL) return;
  const uint64_t s = strtoull(seed, NULL, 0) * 0x9E3779B97F4A7C15ull;
  offset = (unsigned)((s >> 32) % kHeaderBytes);        // 0..39
  mask = (unsigned char)(1u << ((s >> 56) & 7));         // one bit
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = onSignal;
  sa.sa_flags = SA_RESTART;
  sigaction(SIGUSR1, &sa, NULL);
}

// True when the batch starts with a whole message header: 40 bytes, then exactly its payload.
static int startsWithHeader(const struct msghdr* msg) {
  if (msg->msg_iovlen < 1 || msg->msg_iovlen > kMaxIov || msg->msg_iov[0].iov_len != kHeaderBytes) return 0;
  uint64_t h[4];
  memcpy(h, msg->msg_iov[0].iov_base, sizeof h);
  if (h[0] > (1ull << 40)) return 0;
  return h[1] == 0 || (msg->msg_iovlen >= 2 && msg->msg_iov[1].iov_len == h[1]);
}

// Exported despite the project's -fvisibility=hidden: the dynamic linker must find it first.
__attribute__((visibility("default"))) ssize_t sendmsg(int fd, const struct msghdr* msg, int flags) {
  static ssize_t (*real)(int, const struct msghdr*, int);
  if (real == NULL) real = (ssize_t(*)(int, const struct msghdr*, int))dlsym(RTLD_NEXT, "sendmsg");
  if (!atomic_load(&armed) || !startsWithHeader(msg)) return real(fd, msg, flags);
  unsigned char header[kHeaderBytes];
  struct iovec iov[kMaxIov];
  struct msghdr copy = *msg;
  memcpy(header, msg->msg_iov[0].iov_base, kHeaderBytes);
  memcpy(iov, msg->msg_iov, msg->msg_iovlen * sizeof iov[0]);
  header[offset] ^= mask;
  iov[0].iov_base = header;
  copy.msg_iov = iov;
  const ssize_t w = real(fd, &copy, flags);
  // The changed byte went out only if the kernel took it; otherwise try the next batch.
  if (w > (ssize_t)offset && atomic_exchange(&armed, 0)) {
    uint64_t seq;
    memcpy(&seq, msg->msg_iov[0].iov_base, sizeof seq);
    fprintf(stderr, "corrupt_frame: flipped bit 0x%02x of byte %u of the header of message #%llu\n", mask, offset,
            (unsigned long long)seq);
  }
  return w;
}
