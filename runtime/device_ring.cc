// SPDX-License-Identifier: Apache-2.0
// The communicator's side of the device ring (Note [Device link] in runtime/device_link.cc): which
// calls it takes, and its set-up on the progress thread.
#include <memory>
#include <optional>
#include <vector>

#include "collectives/operation.h"
#include "common/log.h"
#include "runtime/communicator.h"

namespace weft::runtime {

std::shared_ptr<Work> Communicator::launchOnDevice(const coll::CollArgs& args, void* stream) {
  if (!deviceRing_) return nullptr;
  if (args.kind != coll::CollKind::AllReduce && args.kind != coll::CollKind::Broadcast) return nullptr;
  if (hostCount_ != 1 || size_ > coll::devring::kMaxRanks) return nullptr;
  device::Runtime& rt = streamRuntime(args, stream);
  bool made = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    made = link_ != nullptr;
  }
  if (!made) {
    // The first call: the set-up runs on the progress thread, in order with the calls queued
    // before it; the launches below wait for it on their streams.
    const coll::devring::Geometry geo{config_.cudaChannels, 8, config_.cudaSlotBytes};
    std::optional<coll::devring::Shape> shape;
    if (config_.cudaAlgo == "ring") shape = coll::devring::Shape::Ring;
    if (config_.cudaAlgo == "tree") shape = coll::devring::Shape::Tree;
    auto link = std::make_unique<DeviceLink>(rt, rank_, size_, geo, shape, config_.timeoutSeconds, config_.checkCalls,
                                             [this](ErrorCode code, const std::string& what) { recordFailure(code, what); });
    {
      std::lock_guard<std::mutex> lock(mu_);
      link_ = std::move(link);
    }
    submitJob([this] { setUpDeviceLink(); },
              [this](std::exception_ptr) { link_->fail(ErrorCode::InvalidUsage, "the device ring was never set up"); });
  }
  auto work = std::make_shared<Work>();
  if (args.count > 0) {
    link_->launch(args, stream, work);  // the link's watchdog completes it
  } else {
    link_->skip();
    work->complete(nullptr);
  }
  return work;
}

void Communicator::runHere(const coll::CollArgs& args) {
  std::unique_ptr<Pending> p = prepareNow(args);
  std::exception_ptr error;
  try {
    log::RankScope scope(rank_);
    if (p->op) coll::runToCompletion(p->ctx, p->args, *p->op);
  } catch (...) {
    error = std::current_exception();
  }
  finish(*p, error);
  if (error) std::rethrow_exception(error);
}

// Every rank gathers every card, connects, and then all agree (an all-reduce of the worst
// status) before any kernel runs: a rank that could not reach a peer fails the ring on every rank,
// not just its own, and every communicator says why.
void Communicator::setUpDeviceLink() {
  DeviceLink& link = *link_;
  int32_t status = 0;  // 0: connected, 1: this rank could not
  std::string why;
  try {
    device::runtime()->useDevice(link.device());
    const DeviceLink::Card mine = link.card();
    std::vector<DeviceLink::Card> cards(static_cast<size_t>(size_));
    coll::CollArgs gather;
    gather.kind = coll::CollKind::AllGather;
    gather.send = &mine;
    gather.recv = cards.data();
    gather.count = sizeof(DeviceLink::Card);
    gather.dtype = coll::DataType::Uint8;
    runHere(gather);
    try {
      link.connect(cards);
    } catch (const std::exception& e) {
      status = 1;
      why = e.what();
    }
    int32_t worst = status;
    coll::CollArgs agree;
    agree.kind = coll::CollKind::AllReduce;
    agree.send = &status;
    agree.recv = &worst;
    agree.count = 1;
    agree.dtype = coll::DataType::Int32;
    agree.op = coll::ReduceOp::Max;
    runHere(agree);
    if (worst == 0) {
      link.ready();
      WEFT_LOG(Info, "the device ring is up: %d ranks", size_);
      return;
    }
    if (why.empty()) why = "the device ring could not be set up: another rank could not reach its peers";
  } catch (const std::exception& e) {
    if (why.empty()) why = std::string("the device ring could not be set up: ") + e.what();
  }
  WEFT_LOG(Warn, "%s", why.c_str());
  // The communicator fails (and stops the ring, with this reason) before the kernels may run:
  // then no call of the ring ends as if it had succeeded.
  recordFailure(ErrorCode::UnhandledCudaError, why);
  link.fail(ErrorCode::UnhandledCudaError, why);
}

}  // namespace weft::runtime
