// SPDX-License-Identifier: Apache-2.0
// The job secret's challenge-response on UCX links (Note [UCX handshake]).
#pragma once

#include <ucp/api/ucp.h>

#include <vector>

#include "common/auth.h"
#include "transport/ucx/worker.h"

namespace weft::transport::ucx {

// Note [UCX handshake]
// Every UCX link proves, before any data moves, that both ends know the job secret (Note [Job
// secret]): each rank sends each peer a fresh nonce, answers the peer's nonce with
// auth::proof(secret, role, "ucx", its nonce, the peer's) (the lower rank of the pair takes the
// acceptor's role, the higher the connector's), and checks the peer's answer in constant time.
// The messages use tags with the top bit set, which no slot message has (Note [UCX tags]), and
// run in finishSetup, once every rank has created its endpoints, so no order of ranks can stall
// it. A peer that answers wrongly is refused: set-up fails with weftRemoteError naming it, and
// the refusal is logged. What it cannot do: UCX matches tagged messages per worker, not per
// endpoint, so a stranger who reaches a worker could still inject messages afterwards; only a
// MAC on every message would keep that out (docs/api.md, "Strangers are kept out").

// Runs it with every peer p whose eps[p] is not null, within `seconds`. Call without the worker's
// lock. Throws RemoteError for a peer without the secret, Timeout when the deadline passes.
void handshake(Worker& worker, int rank, const std::vector<ucp_ep_h>& eps, const auth::Secret& secret,
               double seconds);

}  // namespace weft::transport::ucx
