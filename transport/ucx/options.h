// SPDX-License-Identifier: Apache-2.0
// The UCX transport's settings, usable where UCX's headers are not (builds without UCX).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/auth.h"

namespace weft::transport::ucx {

struct UcxOptions {
  int rank = 0;
  int nranks = 1;
  std::string jobTag;            // addresses of another job's transport are refused
  std::string hostId;            // this rank's host identity (runtime's hostIdentity())
  uint32_t slots = 8;            // per direction per peer
  size_t slotBytes = 512 << 10;  // the largest chunk an endpoint carries (WEFT_UCX_SLOT_BYTES)
  bool acrossHosts = true;       // some peer of this transport runs on another host (Note [UCX failures])
  bool shmOnly = false;          // limit UCX to posix,sysv,self (all peers local, no UCX_TLS of the user's)
  auth::Secret secret{};         // what every link proves it knows (Note [UCX handshake])
  double setupTimeoutSeconds = 60;  // deadline for the handshakes in finishSetup()
};

}  // namespace weft::transport::ucx
