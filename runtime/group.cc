// SPDX-License-Identifier: Apache-2.0
// The group driver: prepares recorded calls and advances them together (Note [Groups]).
#include "runtime/group.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>

#include "collectives/operation.h"
#include "common/error.h"
#include "common/tls.h"
#include "common/wait.h"

namespace weft::runtime {
namespace {

bool pointToPoint(coll::CollKind k) { return k == coll::CollKind::Send || k == coll::CollKind::Recv; }

// Whether call b must wait for an unfinished earlier call a of the same communicator: always,
// unless both are point-to-point on different (direction, peer) pairs.
bool ordered(const coll::CollArgs& a, const coll::CollArgs& b) {
  if (!pointToPoint(a.kind) || !pointToPoint(b.kind)) return true;
  return a.kind == b.kind && a.root == b.root;
}

}  // namespace

namespace {
WEFT_HOT_TLS thread_local int tDepth = 0;  // read by every call (Note [Thread-locals on the hot path])
}  // namespace

int& groupDepth() { return tDepth; }

Group& threadGroup() {
  thread_local Group group;
  return group;
}

void Group::add(Communicator& comm, const coll::CollArgs& args, std::shared_ptr<Work> work,
                Communicator::Ready ready, std::function<void()> out) {
  if (std::none_of(inside_.begin(), inside_.end(), [&](const auto& in) { return &in->communicator() == &comm; })) {
    inside_.push_back(std::make_unique<Communicator::Inside>(comm));
  }
  calls_.push_back(Call{&comm, args, std::move(work), std::move(ready), std::move(out)});
}

void Group::run() {
  std::vector<Call> calls = std::move(calls_);
  calls_.clear();
  // Each communicator counts this thread as inside (since add()) until the group is done.
  std::vector<std::unique_ptr<Communicator::Inside>> inside = std::move(inside_);
  inside_.clear();
  // Note [Stream-ordered calls]: a group of calls on streams, all on one communicator, runs on
  // that communicator's progress thread, in order with its other calls, and weftGroupEnd returns
  // at once, as NCCL's does. (With calls on host buffers too, or spanning several communicators,
  // it runs here, once the streams reached it: host calls are done when weftGroupEnd returns.)
  // Every call's copies in were enqueued when it was recorded; now every wait and copy back, so
  // that a stream never waits for a call of this group before another one's input is on the host.
  try {
    for (Call& c : calls) {
      if (c.out) c.out();
    }
  } catch (...) {
    for (Call& c : calls) c.work->complete(std::current_exception());
    throw;
  }
  const bool onStreams = std::all_of(calls.begin(), calls.end(), [](const Call& c) { return bool(c.ready); });
  const bool oneComm = std::all_of(calls.begin(), calls.end(), [&](const Call& c) { return c.comm == calls[0].comm; });
  if (onStreams && oneComm) {
    auto owned = std::make_shared<std::vector<Call>>(std::move(calls));
    inside.clear();  // the progress thread counts itself inside when it runs the job
    try {
      (*owned)[0].comm->submitJob([owned] { drive(*owned, true); },
                                  [owned](std::exception_ptr e) {
                                    for (Call& c : *owned) c.work->complete(e);
                                  });
    } catch (...) {
      for (Call& c : *owned) c.work->complete(std::current_exception());
      throw;
    }
    return;
  }
  drive(calls, false);
}

void Group::drive(std::vector<Call>& calls, bool inOrder) {
  const size_t n = calls.size();
  std::vector<std::unique_ptr<Communicator::Pending>> pending(n);
  std::vector<bool> done(n, false);
  std::exception_ptr firstError;
  auto fail = [&](size_t i, std::exception_ptr e) {
    if (!firstError) firstError = e;
    if (pending[i]) calls[i].comm->finish(*pending[i], e);
    else calls[i].work->complete(e);
    done[i] = true;
  };
  for (size_t i = 0; i < n; ++i) {
    try {
      // Ready before prepared: an algorithm's start may read the input.
      std::exception_ptr notReady = calls[i].ready ? calls[i].comm->waitReady(calls[i].ready) : nullptr;
      pending[i] = inOrder ? calls[i].comm->prepareInOrder(calls[i].args) : calls[i].comm->prepare(calls[i].args);
      pending[i]->work = calls[i].work;
      if (notReady) std::rethrow_exception(notReady);
    } catch (...) {
      fail(i, std::current_exception());
    }
  }
  auto eligible = [&](size_t i) {
    for (size_t j = 0; j < i; ++j) {
      if (!done[j] && calls[j].comm == calls[i].comm && ordered(calls[j].args, calls[i].args)) return false;
    }
    return true;
  };
  WaitPolicy policy;
  if (n > 0) policy = calls[0].comm->config().wait;
  Backoff backoff(policy);
  // With one communicator (the usual case) the driver sleeps on its doorbell like a single call;
  // with several it naps, since it cannot sleep on several doorbells at once.
  transport::Transport* only = nullptr;
  for (size_t i = 0; i < n; ++i) {
    if (!pending[i]) continue;
    if (!only) only = pending[i]->ctx.transport;
    if (pending[i]->ctx.transport != only && pending[i]->ctx.transport) {
      only = nullptr;
      break;
    }
  }
  std::optional<transport::WaitArm> arm;  // armed once a sleep is near (Note [Armed waits])
  if (only) arm.emplace(*only, false);
  uint32_t token = 0;
  for (;;) {
    if (arm && arm->armed()) token = only->waitToken();
    bool all = true, advanced = false;
    for (size_t i = 0; i < n; ++i) {
      if (done[i]) continue;
      all = false;
      if (!eligible(i)) continue;
      auto& p = *pending[i];
      try {
        const coll::Progress prog = p.op ? p.op->advance() : coll::Progress::Done;
        if (prog == coll::Progress::Done) {
          calls[i].comm->finish(p, nullptr);
          done[i] = true;
        }
        advanced = advanced || prog != coll::Progress::Blocked;
      } catch (...) {
        fail(i, std::current_exception());
      }
    }
    if (all || firstError) break;
    if (advanced) {
      backoff.reset();
      if (arm) arm->disarm();
      continue;
    }
    if (!backoff.next()) continue;
    if (arm && !arm->armed()) {
      arm->arm();  // the first sleep of this wait: take a token and sweep once more first
      continue;
    }
    for (size_t i = 0; i < n && !firstError; ++i) {
      if (done[i] || !eligible(i) || !pending[i]->op) continue;
      try {
        auto& p = *pending[i];
        if (coll::checkStalled(p.ctx, p.args, *p.op) == coll::Progress::Done) {
          calls[i].comm->finish(p, nullptr);
          done[i] = true;
        }
      } catch (...) {
        fail(i, std::current_exception());
      }
    }
    if (firstError) break;
    if (only) {
      only->waitChange(token, policy.sleepCapMs * 1000);
    } else {
      std::this_thread::sleep_for(std::chrono::microseconds(50));
    }
  }
  if (firstError) {
    // Calls abandoned halfway leave their links unusable: they end with the same error.
    for (size_t i = 0; i < n; ++i) {
      if (!done[i]) fail(i, firstError);
    }
    std::rethrow_exception(firstError);
  }
}

}  // namespace weft::runtime
