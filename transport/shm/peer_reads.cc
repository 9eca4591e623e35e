// SPDX-License-Identifier: Apache-2.0
// process_vm_readv with its probe and its errors.
#include "transport/shm/peer_reads.h"

#include <sys/prctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>

#include "common/error.h"

namespace weft::transport::shm {
namespace {

// A random word per process: a pid can name another process than the one that published it
// (ranks in different pid namespaces sharing /dev/shm), and a constant would pass the probe there.
const volatile uint64_t gProbe = [] {
  std::random_device rd;
  return (uint64_t(rd()) << 32 | rd()) | 1;  // never 0, which means "no peer reads"
}();

}  // namespace

uint64_t probeAddress() { return reinterpret_cast<uint64_t>(&gProbe); }

uint64_t probeValue() { return gProbe; }

void allowPeerReads() {
  std::ifstream f("/proc/sys/kernel/yama/ptrace_scope");
  int scope = 0;
  if (!(f >> scope) || scope != 1) return;  // no Yama, or a scope that no prctl relaxes
#ifdef PR_SET_PTRACER
  ::prctl(PR_SET_PTRACER, PR_SET_PTRACER_ANY, 0, 0, 0);
#endif
}

PeerReads probePeerReads(pid_t pid, uint64_t probe, uint64_t expect, std::string* why) {
  if (pid == ::getpid()) {
    // The same process only if its word is ours (a pid in another namespace may equal ours).
    if (probe == probeAddress() && expect == probeValue()) return PeerReads::SameProcess;
    *why = "the peer's pid is this process's, but its probe word is not";
    return PeerReads::None;
  }
  uint64_t value = 0;
  iovec local{&value, sizeof(value)};
  iovec remote{reinterpret_cast<void*>(probe), sizeof(value)};
  const ssize_t n = ::process_vm_readv(pid, &local, 1, &remote, 1, 0);
  if (n == ssize_t(sizeof(value)) && value == expect) return PeerReads::Cross;
  *why = n < 0 ? std::string("process_vm_readv: ") + std::strerror(errno) : "the probe read a wrong value";
  return PeerReads::None;
}

namespace {

// process_vm_readv or process_vm_writev of `bytes` at `remote`, in as many calls as it takes.
template <bool kWrite>
void crossCopy(pid_t pid, int rank, uint64_t remote, std::byte* local, size_t bytes) {
  while (bytes > 0) {
    iovec mine{local, bytes};
    iovec theirs{reinterpret_cast<void*>(remote), bytes};
    const ssize_t n = kWrite ? ::process_vm_writev(pid, &mine, 1, &theirs, 1, 0)
                             : ::process_vm_readv(pid, &mine, 1, &theirs, 1, 0);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      throw RemoteError(std::string("cannot ") + (kWrite ? "write " : "read ") + std::to_string(bytes) +
                        " bytes of rank " + std::to_string(rank) + "'s memory (process " + std::to_string(pid) +
                        "): " + (n < 0 ? std::strerror(errno) : "nothing copied") +
                        (n < 0 && errno == ESRCH ? " (it exited)" : ""),
                        rank);
    }
    local += n;
    remote += uint64_t(n);
    bytes -= size_t(n);
  }
}

}  // namespace

void readCross(pid_t pid, int rank, uint64_t remote, void* dst, size_t bytes) {
  crossCopy<false>(pid, rank, remote, static_cast<std::byte*>(dst), bytes);
}

void writeCross(pid_t pid, int rank, uint64_t remote, const void* src, size_t bytes) {
  crossCopy<true>(pid, rank, remote, const_cast<std::byte*>(static_cast<const std::byte*>(src)), bytes);
}

}  // namespace weft::transport::shm
