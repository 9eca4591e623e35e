// SPDX-License-Identifier: Apache-2.0
// Reading a peer process's memory (Note [Peer reads] in transport/transport.h): cross-memory
// attach (process_vm_readv), probed per link when it opens.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>

namespace weft::transport::shm {

enum class PeerReads { None, SameProcess, Cross };

// The address of a word with a known value in this process, which peers read to probe.
uint64_t probeAddress();

// Lets processes of the same user read this one where the Yama module would refuse them
// (ptrace_scope 1: only ancestors may), as Open MPI does for its single-copy path. Idempotent.
void allowPeerReads();

// How this process can read the process `pid` whose probe word is at `probe`; *why says why not.
PeerReads probePeerReads(pid_t pid, uint64_t probe, std::string* why);

// Copies `bytes` from `remote` in process `pid` (rank `rank`, for messages) into `dst`.
// Throws RemoteError when the memory cannot be read.
void readCross(pid_t pid, int rank, uint64_t remote, void* dst, size_t bytes);

}  // namespace weft::transport::shm
