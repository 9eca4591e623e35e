// SPDX-License-Identifier: Apache-2.0
// The per-job facts every rank is told (port, job id) and the environment block built from them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weft::weftrun {

struct JobInfo {
  int worldSize = 0;   // ranks in the whole job
  int localSize = 0;   // ranks this weftrun starts
  int nodeRank = 0;    // this weftrun's host; its ranks are nodeRank*localSize + 0..localSize-1
  std::string masterAddr = "127.0.0.1";
  uint16_t masterPort = 0;
  std::string jobId;  // 16 lowercase hex digits
  // WEFT_SECRET for the ranks: 64 random hex digits on one host; empty on several (the ranks
  // then take the caller's WEFT_SECRET, which must be the same on every host, or none).
  std::string secret;
};

// Binds a TCP socket to 127.0.0.1:0, reads back the port the kernel chose and closes it. Another
// process may take the port before rank 0 binds it; that race is inherent to the scheme.
// Throws std::system_error.
uint16_t findFreePort();

// `bytes` random bytes from getrandom(2) as 2 * bytes hex digits. Throws std::system_error.
std::string randomHex(size_t bytes);
// 64 random bits as 16 hex digits.
inline std::string randomJobId() { return randomHex(8); }

// Builds a job's JobInfo. One host: a free port, a random job id and a random secret. Several: the given port, and
// a job id every host derives alike from the master address and port, or `userJobId` (the
// caller's WEFT_JOB_ID) when set, which must then be the same on every host.
JobInfo makeJobInfo(int localSize, int nnodes, int nodeRank, const std::string& masterAddr, int masterPort,
                    const char* userJobId);

// Returns "KEY=VALUE" strings: a copy of `base` (a NULL-terminated environ-style array) in which
// RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR, MASTER_PORT and
// WEFT_JOB_ID (and WEFT_SECRET, when the job has one) are replaced (or added) with the values of
// this weftrun's rank `localRank`. Reads no variable itself.
std::vector<std::string> rankEnvironment(const char* const* base, const JobInfo& job, int localRank);

}  // namespace weft::weftrun
