// SPDX-License-Identifier: Apache-2.0
// Adopts the processes that ranks leave behind (child subreaper) and kills them when the job ends.
#pragma once

#include <sys/types.h>

#include <vector>

namespace weft::weftrun {

// Makes weftrun a child subreaper (PR_SET_CHILD_SUBREAPER): a process started by a rank that
// outlives the rank is re-parented to weftrun instead of init, so weftrun can still find and stop
// it. Throws std::system_error.
void becomeSubreaper();

// Lists weftrun's current children by scanning /proc/<pid>/stat for our pid as parent.
std::vector<pid_t> listChildren();

// Call after every rank is reaped: SIGKILLs and reaps every remaining child, repeating until none
// is left (killing one adopts its children in turn). Appends each reaped pid to `reaped` and
// returns how many were killed.
int killLeftovers(std::vector<pid_t>& reaped);

}  // namespace weft::weftrun
