// SPDX-License-Identifier: Apache-2.0
// The job secret and the challenge-response every connection of a job starts with.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/hmac.h"

namespace weft::auth {

// Note [Job secret]
// Every job has a 256-bit secret: random, made by weftGetUniqueId (carried inside the unique id)
// or by weftrun (handed to its ranks as WEFT_SECRET), or set by the user as WEFT_SECRET (64 hex
// digits) for the other launchers. Each TCP connection (to the store, and each transport link)
// starts with a challenge-response in both directions before anything else is read from it:
//   connector -> acceptor: its nonce Nc (with the greeting the protocol sends anyway)
//   acceptor -> connector: its nonce Na, and Pa = HMAC(secret, "acceptor" | tag | Nc | Na)
//   connector -> acceptor: Pc = HMAC(secret, "connector" | tag | Na | Nc)
// Each side checks the other's proof against its own computation, in constant time. Fresh random
// nonces on both sides make a recorded exchange useless to replay, the role and the `tag` (which
// protocol: "store", "tcp") keep one proof from being reflected as another, and the secret never
// travels. A side that fails the check closes the connection and logs it; the job goes on. A job
// launched without a secret (torchrun, mpirun or srun without WEFT_SECRET) uses one derived from
// its job id, which keeps jobs apart but does not keep out someone who knows the id. Shared memory
// needs no handshake: its segments are created 0600, so only the job's own user can open them,
// and that user can read the processes' memory anyway. UCX links, made from addresses that only
// the (authenticated) store hands out, run the same exchange over UCX messages (Note [UCX
// handshake] in transport/ucx/handshake.h).
using Secret = std::array<uint8_t, 32>;
using Nonce = std::array<uint8_t, 32>;

enum class Role : uint8_t { Acceptor, Connector };

// A nonce or a secret from the kernel's random source. Throws SystemError.
Nonce randomBytes();

// The proof `role` sends: Pa or Pc above, where `mine` is the sender's nonce.
Digest proof(const Secret& secret, Role role, std::string_view tag, const Nonce& mine, const Nonce& theirs);

// A secret from the SHA-256 of `jobId`, for jobs launched without one.
Secret derived(std::string_view jobId);

// 64 hex digits, either case; nullopt otherwise.
std::optional<Secret> parseHex(std::string_view text);
std::string toHex(const Secret& s);

}  // namespace weft::auth
