// SPDX-License-Identifier: Apache-2.0
// --elastic: going on without a rank that died (Note [Elastic training]).
#pragma once

#include "runtime/weft.hpp"
#include "train/trainer/options.h"

namespace weft::train {

// Note [Elastic training]
// With --elastic, a collective that fails because a rank's process died is not the end: every
// survivor asks weft which ranks failed (weftCommGetFailedRanks, the same list on every
// survivor once the processes are gone), shrinks them away (weftCommShrink, aborting what the
// failed step left running), and runs the training again on the smaller communicator from the
// last checkpoint, which the new rank 0 reads (the checkpoint directory must be reachable from
// it, as a shared or local directory on one host is). The checkpoint's epoch starts over when it
// was taken mid-epoch, since fewer ranks cut the epoch into other shards; one taken at the end
// of an epoch (the default) loses nothing but the steps since. A rank that hangs is not seen as
// failed: its peers time out (WEFT_TIMEOUT) and the run ends with that error.

// The survivors of `comm` after `failure` (a weft error of the training), or rethrows `failure`
// when no rank is seen to have failed within a few seconds. Collective over the survivors.
weft::Comm survive(weft::Comm& comm, const weft::Error& failure);

}  // namespace weft::train
