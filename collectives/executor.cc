// SPDX-License-Identifier: Apache-2.0
// The blocking driver of an Operation, plus small helpers shared by every algorithm.
#include <cstdio>
#include <cstring>

#include "collectives/operation.h"
#include "common/error.h"
#include "common/tls.h"

namespace weft::coll {

const char* collName(CollKind kind) {
  switch (kind) {
    case CollKind::AllReduce: return "allreduce";
    case CollKind::Broadcast: return "broadcast";
    case CollKind::Reduce: return "reduce";
    case CollKind::AllGather: return "allgather";
    case CollKind::ReduceScatter: return "reducescatter";
    case CollKind::AllToAll: return "alltoall";
    case CollKind::Scatter: return "scatter";
    case CollKind::Gather: return "gather";
    case CollKind::Send: return "send";
    case CollKind::Recv: return "recv";
    case CollKind::Barrier: return "barrier";
  }
  return "?";
}

std::string describe(const CollArgs& a) {
  char buf[200];
  int n = std::snprintf(buf, sizeof(buf), "%s #%llu (", collName(a.kind), static_cast<unsigned long long>(a.seq));
  if (a.kind != CollKind::Barrier) n += std::snprintf(buf + n, sizeof(buf) - size_t(n), "count=%zu, %s", a.count, dtypeName(a.dtype));
  if (reduces(a.kind)) n += std::snprintf(buf + n, sizeof(buf) - size_t(n), ", %s", opName(a.op));
  if (rooted(a.kind)) n += std::snprintf(buf + n, sizeof(buf) - size_t(n), ", root=%d", a.root);
  if (a.kind == CollKind::Send || a.kind == CollKind::Recv) n += std::snprintf(buf + n, sizeof(buf) - size_t(n), ", peer=%d", a.root);
  std::snprintf(buf + n, sizeof(buf) - size_t(n), ")");
  return buf;
}

namespace {
// The block a thread keeps (Note [Operation blocks]), in trivial thread-locals: one with a
// destructor is reached through a guard and __tls_get_addr on every use (Note [Thread-locals on
// the hot path]). The first block kept arms a freer, which frees the block when the thread ends.
WEFT_HOT_TLS thread_local void* tSpare = nullptr;
WEFT_HOT_TLS thread_local bool tFreerArmed = false;
struct SpareFreer {
  ~SpareFreer() {
    ::operator delete(tSpare, Operation::kBlockBytes);
    tSpare = nullptr;
  }
};
void armFreer() {
  thread_local SpareFreer freer;
  (void)freer;
  tFreerArmed = true;
}
}  // namespace

void* Operation::operator new(size_t bytes) {
  if (bytes > kBlockBytes) return ::operator new(bytes);
  if (void* p = tSpare) {
    tSpare = nullptr;
    return p;
  }
  return ::operator new(kBlockBytes);
}

void Operation::operator delete(void* p, size_t bytes) {
  if (bytes > kBlockBytes) return ::operator delete(p, bytes);
  if (tSpare == nullptr) {
    if (!tFreerArmed) armFreer();
    tSpare = p;
    return;
  }
  ::operator delete(p, kBlockBytes);
}

Progress LocalCopyOp::advance() {
  // Barriers carry no data; every other kind moves `count` elements from send to recv.
  if (args_.kind != CollKind::Barrier && args_.send != args_.recv && args_.count > 0) {
    std::memcpy(args_.recv, args_.send, args_.count * dtypeSize(args_.dtype));
  }
  return Progress::Done;
}

Progress checkStalled(const Context& ctx, const CollArgs& args, Operation& op) {
  if (ctx.aborted && ctx.aborted->load(std::memory_order_acquire)) {
    throw InvalidUsage(describe(args) + " on rank " + std::to_string(ctx.rank) +
                       ": " + kAbortedByUser + " while this rank waited for " +
                       op.waitingFor());
  }
  if (ctx.deadline.expired()) {
    throw Timeout(describe(args) + " on rank " + std::to_string(ctx.rank) + " timed out " +
                  ctx.deadline.describe() + " waiting for " + op.waitingFor() +
                  " (WEFT_TIMEOUT sets the limit)",
                  op.blockedOn().first());
  }
  // Note [Stalled peers]: any peer waited for that has exited, not only the first.
  for (const int peer : op.blockedOn()) {
    if (ctx.transport->peerAlive(peer)) continue;
    // A peer that finished its part and exited may have posted all we need: look once more.
    const Progress p = op.advance();
    if (p != Progress::Blocked || !op.blockedOn().contains(peer)) return p;
    throw RemoteError(describe(args) + " on rank " + std::to_string(ctx.rank) + ": rank " +
                      std::to_string(peer) + " exited while this rank waited for " + op.waitingFor(),
                      peer);
  }
  return Progress::Blocked;
}

void runToCompletion(const Context& ctx, const CollArgs& args, Operation& op) {
  Backoff backoff(*ctx.wait);
  transport::WaitArm arm(*ctx.transport, false);
  const double sleepUs = ctx.wait->sleepCapMs * 1000;
  for (;;) {
    Progress p = op.advance();
    if (p == Progress::Blocked) {
      if (!backoff.next()) continue;  // it spun or yielded: look again
      // About to sleep: arm, then take the token, then look once more (Note [Armed waits]).
      arm.arm();
      const uint32_t token = ctx.transport->waitToken();
      p = op.advance();
      if (p == Progress::Blocked) p = checkStalled(ctx, args, op);
      if (p == Progress::Blocked) {
        ctx.transport->waitChange(token, sleepUs);
        continue;
      }
    }
    if (p == Progress::Done) return;
    backoff.reset();
    arm.disarm();
  }
}

}  // namespace weft::coll
