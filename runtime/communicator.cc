// SPDX-License-Identifier: Apache-2.0
// Communicator set-up and the collectives it runs (argument checks live in c_api.cc).
#include "runtime/communicator.h"

#include "collectives/registry.h"
#include "common/error.h"
#include "common/log.h"
#include "runtime/bootstrap.h"

namespace weft::runtime {
namespace {

// Rejects a second thread entering the same communicator (NCCL leaves this undefined).
class BusyGuard {
 public:
  explicit BusyGuard(std::atomic<bool>& busy) : busy_(busy) {
    if (busy_.exchange(true, std::memory_order_acquire)) {
      throw InvalidUsage("another thread is running a call on this communicator; a communicator is "
                         "driven by one thread at a time");
    }
  }
  ~BusyGuard() { busy_.store(false, std::memory_order_release); }
  BusyGuard(const BusyGuard&) = delete;
  BusyGuard& operator=(const BusyGuard&) = delete;

 private:
  std::atomic<bool>& busy_;
};

}  // namespace

std::unique_ptr<Communicator> Communicator::create(std::shared_ptr<store::Store> store, int rank,
                                                   int size, const Config& config,
                                                   std::shared_ptr<void> keepAlive) {
  log::RankScope scope(rank);
  coll::AlgoSpec algoSpec = coll::AlgoSpec::parse(config.algo);  // before meeting: fail alike, early
  Links links = connectRanks(*store, rank, size, config);
  auto c = assemble(rank, size, config, std::move(algoSpec), std::move(links));
  c->keepAlive_ = std::move(keepAlive);
  WEFT_LOG(Info, "communicator ready: rank %d of %d via %s", rank, size, store->describe().c_str());
  return c;
}

std::unique_ptr<Communicator> Communicator::assemble(int rank, int size, const Config& config,
                                                     coll::AlgoSpec spec, Links links) {
  Config tuned = config;
  if (tuned.wait.spinUs == kAutoSpin) tuned.wait.spinUs = autoSpinUs(links.ranksOnThisHost);
  std::unique_ptr<Communicator> c(new Communicator(rank, size, tuned));
  c->algoSpec_ = std::move(spec);
  c->transport_ = std::move(links.transport);
  c->links_ = std::move(links.endpoints);
  return c;
}

Communicator::~Communicator() {
  links_.clear();
  transport_.reset();
}

void Communicator::run(coll::CollArgs& args) {
  BusyGuard guard(busy_);
  log::RankScope scope(rank_);
  args.seq = ++seq_;
  // NCCL returns at once for empty calls; a barrier has no data but still synchronizes.
  if (args.count == 0 && args.kind != coll::CollKind::Barrier) return;
  coll::Context ctx;
  ctx.rank = rank_;
  ctx.size = size_;
  ctx.transport = transport_.get();
  ctx.links = links_;
  ctx.wait = &config_.wait;
  ctx.deadline = Deadline::after(config_.timeoutSeconds);
  const coll::Algorithm& algo = coll::selectAlgorithm(args, ctx, algoSpec_);
  WEFT_LOG(Trace, "%s: %s", coll::describe(args).c_str(), std::string(algo.name()).c_str());
  if (!failure_.empty()) {
    throw InvalidUsage("this communicator failed earlier (" + failure_ + "); destroy it and make a new one");
  }
  try {
    algo.run(ctx, args);
  } catch (const Error& e) {
    // A collective that stopped halfway leaves chunks in the FIFOs: the links are unusable.
    if (e.code() == ErrorCode::Timeout || e.code() == ErrorCode::RemoteError) failure_ = e.what();
    throw;
  }
}

}  // namespace weft::runtime
