// SPDX-License-Identifier: Apache-2.0
// The blocking driver of an Operation, plus small helpers shared by every algorithm.
#include <cstdio>
#include <cstring>

#include "collectives/operation.h"
#include "common/error.h"

namespace weft::coll {

const char* collName(CollKind kind) {
  switch (kind) {
    case CollKind::AllReduce: return "allreduce";
    case CollKind::Broadcast: return "broadcast";
  }
  return "?";
}

std::string describe(const CollArgs& a) {
  char buf[160];
  if (a.kind == CollKind::Broadcast) {
    std::snprintf(buf, sizeof(buf), "%s #%llu (count=%zu, %s, root=%d)", collName(a.kind),
                  static_cast<unsigned long long>(a.seq), a.count, dtypeName(a.dtype), a.root);
  } else {
    std::snprintf(buf, sizeof(buf), "%s #%llu (count=%zu, %s, %s)", collName(a.kind),
                  static_cast<unsigned long long>(a.seq), a.count, dtypeName(a.dtype), opName(a.op));
  }
  return buf;
}

void copyIfOutOfPlace(const CollArgs& args) {
  if (args.send != args.recv && args.count > 0) {
    std::memcpy(args.recv, args.send, args.count * dtypeSize(args.dtype));
  }
}

void runToCompletion(const Context& ctx, const CollArgs& args, Operation& op) {
  Backoff backoff(*ctx.wait);
  const double sleepUs = ctx.wait->sleepCapMs * 1000;
  for (;;) {
    // Read the token before looking at the links: a change after this point ends the sleep.
    const uint32_t token = ctx.transport->waitToken();
    switch (op.advance()) {
      case Progress::Done: return;
      case Progress::Advanced: backoff.reset(); continue;
      case Progress::Blocked: break;
    }
    if (!backoff.next()) continue;
    if (ctx.deadline.expired()) {
      throw Timeout(describe(args) + " on rank " + std::to_string(ctx.rank) + " timed out " +
                    ctx.deadline.describe() + " waiting for " + op.waitingFor() +
                    " (WEFT_TIMEOUT sets the limit)");
    }
    const int peer = op.blockedOn();
    if (!ctx.transport->peerAlive(peer)) {
      // A peer that finished its part and exited may have posted all we need: look once more.
      if (op.advance() != Progress::Blocked) continue;
      if (op.blockedOn() == peer) {
        throw RemoteError(describe(args) + " on rank " + std::to_string(ctx.rank) + ": rank " +
                          std::to_string(peer) + " exited while this rank waited for " + op.waitingFor());
      }
      continue;
    }
    ctx.transport->waitChange(token, sleepUs);
  }
}

}  // namespace weft::coll
