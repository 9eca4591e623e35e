// SPDX-License-Identifier: Apache-2.0
// The job secret's challenge-response on UCX links (Note [UCX handshake]).
#include "transport/ucx/handshake.h"

#include <memory>
#include <string>

#include "common/deadline.h"
#include "common/error.h"
#include "common/log.h"
#include "transport/ucx/endpoint.h"

namespace weft::transport::ucx {
namespace {

constexpr uint64_t kHandshakeBit = uint64_t(1) << 63;  // no slot message's tag has it
constexpr const char* kAuthTag = "ucx";

uint64_t tagOf(int from, int step) { return kHandshakeBit | uint64_t(from) << kSeqBits | uint64_t(step); }

// One UCX operation: UCX's callback marks it done (and frees the request), under the worker's lock.
struct Op {
  bool posted = false;
  bool done = false;
  ucs_status_t status = UCS_OK;
};

// A peer's exchange; its buffers stay put while UCX may write them (Worker::bury on failure).
struct Greeting {
  auth::Nonce mine{}, theirs{};
  Digest myProof{}, theirProof{};
  Op nonceOut, nonceIn, proofOut, proofIn;
  bool checked = false;
  bool finished() const { return checked && nonceOut.done && proofOut.done; }
  bool busy() const {
    return (nonceOut.posted && !nonceOut.done) || (nonceIn.posted && !nonceIn.done) ||
           (proofOut.posted && !proofOut.done) || (proofIn.posted && !proofIn.done);
  }
};

void onSend(void* request, ucs_status_t status, void* user) {
  auto* op = static_cast<Op*>(user);
  op->done = true;
  op->status = status;
  ucp_request_free(request);
}

void onRecv(void* request, ucs_status_t status, const ucp_tag_recv_info_t* info, void* user) {
  auto* op = static_cast<Op*>(user);
  op->done = true;
  op->status = status == UCS_OK && info->length != sizeof(Digest) ? UCS_ERR_MESSAGE_TRUNCATED : status;
  ucp_request_free(request);
}

// Posts a send (ep) or a receive (no ep) of the 32 bytes at `buf`; `op` records how it ends.
void post(Worker& worker, ucp_ep_h ep, void* buf, uint64_t tag, Op& op) {
  ucp_request_param_t p{};
  p.op_attr_mask = UCP_OP_ATTR_FIELD_CALLBACK | UCP_OP_ATTR_FIELD_USER_DATA | UCP_OP_ATTR_FLAG_NO_IMM_CMPL;
  p.user_data = &op;
  op.posted = true;
  ucs_status_ptr_t r;
  if (ep != nullptr) {
    p.cb.send = &onSend;
    r = ucp_tag_send_nbx(ep, buf, sizeof(Digest), tag, &p);
  } else {
    p.cb.recv = &onRecv;
    r = ucp_tag_recv_nbx(worker.handle(), buf, sizeof(Digest), tag, ~uint64_t(0), &p);
  }
  if (UCS_PTR_IS_ERR(r)) {
    op.done = true;
    op.status = UCS_PTR_STATUS(r);
  }
}

// Advances one peer's exchange; throws when it failed.
void advance(Worker& worker, int rank, int peer, ucp_ep_h ep, const auth::Secret& secret, Greeting& g) {
  for (const Op* op : {&g.nonceOut, &g.nonceIn, &g.proofOut, &g.proofIn}) {
    if (op->done && op->status != UCS_OK) {
      throw RemoteError("ucx: the secret handshake with rank " + std::to_string(peer) + " failed: " +
                            ucs_status_string(op->status),
                        peer);
    }
  }
  const auth::Role mine = rank < peer ? auth::Role::Acceptor : auth::Role::Connector;
  const auth::Role theirs = rank < peer ? auth::Role::Connector : auth::Role::Acceptor;
  if (g.nonceIn.done && !g.proofOut.posted) {
    g.myProof = auth::proof(secret, mine, kAuthTag, g.mine, g.theirs);
    post(worker, ep, g.myProof.data(), tagOf(rank, 1), g.proofOut);
  }
  if (g.nonceIn.done && g.proofIn.done && !g.checked) {
    if (!equalDigests(g.theirProof, auth::proof(secret, theirs, kAuthTag, g.theirs, g.mine))) {
      WEFT_LOG(Warn, "ucx: rank %d refused rank %d, which does not know the job secret", rank, peer);
      throw RemoteError("ucx: rank " + std::to_string(peer) + " does not know the job secret (a rank of another job?)",
                        peer);
    }
    g.checked = true;
  }
}

}  // namespace

void handshake(Worker& worker, int rank, const std::vector<ucp_ep_h>& eps, const auth::Secret& secret,
               double seconds) {
  auto greetings = std::make_shared<std::vector<Greeting>>(eps.size());
  auto& gs = *greetings;
  const Deadline deadline = Deadline::after(seconds);
  std::unique_lock<std::mutex> lock(worker.mu());
  // Whatever UCX may still write when this ends early stays alive until the worker goes.
  auto leave = [&] {
    if (!lock.owns_lock()) lock.lock();
    for (const Greeting& g : gs) {
      if (g.busy()) return worker.bury(greetings);
    }
  };
  try {
    for (size_t p = 0; p < eps.size(); ++p) {
      if (eps[p] == nullptr) continue;
      gs[p].mine = auth::randomBytes();
      post(worker, nullptr, gs[p].theirs.data(), tagOf(int(p), 0), gs[p].nonceIn);
      post(worker, nullptr, gs[p].theirProof.data(), tagOf(int(p), 1), gs[p].proofIn);
      post(worker, eps[p], gs[p].mine.data(), tagOf(rank, 0), gs[p].nonceOut);
    }
    for (;;) {
      worker.progress();
      bool all = true;
      int waiting = -1;
      for (size_t p = 0; p < eps.size(); ++p) {
        if (eps[p] == nullptr) continue;
        advance(worker, rank, int(p), eps[p], secret, gs[p]);
        if (!gs[p].finished()) all = false, waiting = waiting < 0 ? int(p) : waiting;
      }
      if (all) return;
      if (deadline.expired()) {
        throw Timeout("ucx: the secret handshake with rank " + std::to_string(waiting) + " did not finish " +
                          deadline.describe(),
                      waiting);
      }
      const uint32_t token = worker.counter();
      lock.unlock();
      worker.waitChange(token, 1000);
      lock.lock();
    }
  } catch (...) {
    leave();
    throw;
  }
}

}  // namespace weft::transport::ucx
