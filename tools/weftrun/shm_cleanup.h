// SPDX-License-Identifier: Apache-2.0
// Removes the POSIX shared-memory segments a (possibly crashed) rank left behind.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace weft::weftrun {

constexpr const char* kShmDir = "/dev/shm";

// weft's shm transport names its segments "weft-<creator pid>-<anything>". Unlinks every entry of
// `dir` named "weft-<pid>-*" for any pid in `pids` and returns how many it removed. Call only once
// those processes are reaped: mappings that others still hold stay valid after the unlink. A
// failed unlink is reported on stderr and skipped; nothing is thrown.
int removeShmSegments(const std::vector<pid_t>& pids, const std::string& dir = kShmDir);

}  // namespace weft::weftrun
