// SPDX-License-Identifier: Apache-2.0
// The ways to form communicators: unique id, all ranks in one process, and the environment.
#pragma once

#include <memory>
#include <vector>

#include "runtime/communicator.h"
#include "runtime/unique_id.h"

namespace weft::runtime {

// Starts a store server in this process (alive until exit) and describes it in `id`.
void makeUniqueId(char (&id)[kUniqueIdBytes], const Config& config);
std::unique_ptr<Communicator> initRank(const char (&id)[kUniqueIdBytes], int nranks, int rank,
                                       const Config& config);

// `n` ranks as threads of this process, linked through an in-memory store.
std::vector<std::unique_ptr<Communicator>> initAll(int n, const Config& config);

// WEFT_INIT, env:// (torchrun), Open MPI or Slurm variables; see docs/env.md.
std::unique_ptr<Communicator> initFromEnv(const Config& config);

}  // namespace weft::runtime
