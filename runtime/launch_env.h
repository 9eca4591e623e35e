// SPDX-License-Identifier: Apache-2.0
// Reads what a launcher put in the environment: rank, size and where to meet (docs/env.md).
#pragma once

#include <string>

#include "runtime/config.h"

namespace weft::runtime {

struct LaunchEnv {
  enum class Method { Local, Tcp, File };
  Method method = Method::Local;  // Local: a job of one rank, nothing to meet
  std::string host;               // Tcp
  int port = 0;                   // Tcp
  std::string path;               // File
  std::string jobKey;             // refuses clients of other jobs at the TCP store
  int rank = 0;
  int size = 1;
  int localRank = 0;
  int localSize = 1;
  std::string source;             // "torchrun/weftrun", "Open MPI", "Slurm", "none"
};

// Rank and size from RANK/WORLD_SIZE, else OMPI_COMM_WORLD_*, else PMI_*, else SLURM_*; the
// meeting point from WEFT_INIT, else MASTER_ADDR/MASTER_PORT, else (all ranks on this host,
// under mpirun or srun) 127.0.0.1 and a port derived from the launcher's job id. Throws
// InvalidArgument naming the variable that is missing or malformed.
LaunchEnv readLaunchEnv(const Config& config);

// Only the rank and size part of readLaunchEnv (rank 0 of 1 when no launcher variable is set).
LaunchEnv readLaunchRanks();

}  // namespace weft::runtime
