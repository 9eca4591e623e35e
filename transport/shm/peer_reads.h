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

// The address of a word with a random value in this process, and the value, which peers compare
// with what they read there.
uint64_t probeAddress();
uint64_t probeValue();

// Lets processes of the same user read this one where the Yama module would refuse them
// (ptrace_scope 1: only ancestors may), as Open MPI does for its single-copy path. Idempotent.
// A relaxation for the whole process and its life (any process of this user may then attach to
// it, as without Yama); WEFT_SHM_PEER_READS=0 avoids it (docs/env.md).
void allowPeerReads();

// How this process can read the process `pid` whose probe word at `probe` holds `expect`; *why
// says why not.
PeerReads probePeerReads(pid_t pid, uint64_t probe, uint64_t expect, std::string* why);

// Copies `bytes` from `remote` in process `pid` (rank `rank`, for messages) into `dst`.
// Throws RemoteError when the memory cannot be read.
void readCross(pid_t pid, int rank, uint64_t remote, void* dst, size_t bytes);
// The same the other way: `bytes` from `src` to `remote` in process `pid` (process_vm_writev).
void writeCross(pid_t pid, int rank, uint64_t remote, const void* src, size_t bytes);

}  // namespace weft::transport::shm
