// SPDX-License-Identifier: Apache-2.0
// Which CPUs each local rank may run on (--bind-to): Note [Binding ranks to cores].
#pragma once

#include <sched.h>

#include <vector>

namespace weft::weftrun {

enum class BindTo { Core, None };

// The CPU set of each of `ranks` local ranks, carved out of `allowed` (weftrun's own affinity):
// with at least as many CPUs as ranks, rank i gets the i-th of `ranks` contiguous slices (their
// sizes differ by at most one CPU); with more ranks than CPUs, rank i gets CPU i mod C alone.
// Empty for BindTo::None: the ranks keep weftrun's affinity.
std::vector<cpu_set_t> rankCpuSets(BindTo bind, const cpu_set_t& allowed, int ranks);

// weftrun's own affinity (every online CPU where it cannot be read).
cpu_set_t ownCpuSet();

}  // namespace weft::weftrun
