// SPDX-License-Identifier: Apache-2.0
// The device ring's schedule run by a host thread (Note [Device ring]): what the tests' device
// runtime does for a kernel launch, so the schedule, its counters and its FIFOs are checked on
// machines without a GPU.
#pragma once

#include <functional>

#include "collectives/device/ring_job.h"

namespace weft::coll::devring {

// Where this process's host can load and store the device memory at `p` (p for host memory).
using View = std::function<unsigned char*(const void*)>;

// Runs every channel of `job` in turn on the calling thread, as one block each would. The job's
// send, recv, table and abort pointers are views already; the workspaces in the table go through
// `view`. Returns false when it stopped early (abort word set, or the link not ready).
bool runOnHost(const RingJob& job, const View& view);

}  // namespace weft::coll::devring
