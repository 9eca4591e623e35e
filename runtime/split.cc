// SPDX-License-Identifier: Apache-2.0
// Communicator::split: new communicators from colors and keys, wired through the parent.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/log.h"
#include "runtime/bootstrap.h"
#include "runtime/communicator.h"
#include "runtime/transport_choice.h"

namespace weft::runtime {
namespace {

struct Member {
  int32_t color;
  int32_t key;
  uint64_t nonce;  // the group's first member's names its transports (shm segments, tcp hellos)
};


}  // namespace

std::unique_ptr<Communicator> Communicator::split(int color, int key) {
  log::RankScope scope(rank_);
  // Inside for the whole split, not only its collectives: an abort then waits for the connects
  // (bounded by their set-up deadline) instead of freeing what they use (Note [Abort]).
  Inside inside(*this);
  const auto checkAborted = [&] {
    if (aborted_.load(std::memory_order_acquire)) {
      throw InvalidUsage("split on rank " + std::to_string(rank_) + ": " + coll::kAbortedByUser);
    }
  };
  // 1. Everyone learns everyone's color and key.
  std::vector<Member> members(size_t(size_), Member{});
  Member mine{color < 0 ? -1 : color, key, std::stoull(randomHex(), nullptr, 16)};
  coll::CollArgs gatherMembers{coll::CollKind::AllGather, &mine, members.data(), sizeof(Member), coll::DataType::Uint8};
  run(gatherMembers);

  // 2. This rank's group, ordered by (key, parent rank).
  std::vector<int> group;
  if (mine.color >= 0) {
    for (int r = 0; r < size_; ++r) {
      if (members[size_t(r)].color == mine.color) group.push_back(r);
    }
    std::stable_sort(group.begin(), group.end(), [&](int a, int b) { return members[size_t(a)].key < members[size_t(b)].key; });
  }
  const int newSize = int(group.size());
  const int newRank = mine.color < 0 ? -1 : int(std::find(group.begin(), group.end(), rank_) - group.begin());

  // 3. Each member listens on a new transport; the addresses travel through the parent.
  Links links;
  std::vector<std::byte> myAddress;
  if (mine.color >= 0) {
    for (int r : group) {
      links.where.hosts.push_back(where_.hosts[size_t(r)]);
      links.where.ucxNet.push_back(where_.ucxNet[size_t(r)]);
      links.where.gpus.push_back(where_.gpus[size_t(r)]);
      links.where.cpus.push_back(where_.cpus[size_t(r)]);
    }
    transport::MuxOptions mux;
    mux.rank = newRank;
    mux.nranks = newSize;
    mux.perPeer = chooseTransports(config_.transport, links.where, newRank);
    char tag[17];
    std::snprintf(tag, sizeof(tag), "%016llx", static_cast<unsigned long long>(members[size_t(group[0])].nonce));
    setTransportOptions(config_, tag, links.where, mux);
    links.transport = std::make_unique<transport::MuxTransport>(mux);
    myAddress = links.transport->listen();
  }
  // Addresses differ in length (UCX's grow with the network devices): every rank learns every
  // length, then all are gathered padded to the longest.
  uint64_t myBytes = myAddress.size();
  std::vector<uint64_t> lengths(static_cast<size_t>(size_));
  coll::CollArgs gatherLengths{coll::CollKind::AllGather, &myBytes, lengths.data(), 1, coll::DataType::Uint64};
  run(gatherLengths);
  const size_t width = std::max<size_t>(1, size_t(*std::max_element(lengths.begin(), lengths.end())));
  myAddress.resize(width);
  std::vector<std::byte> addresses(width * size_t(size_));
  coll::CollArgs gatherAddresses{coll::CollKind::AllGather, myAddress.data(), addresses.data(), width,
                                 coll::DataType::Uint8};
  run(gatherAddresses);

  // 4. Connect within the group, then wait (through the parent) until every member has mapped
  //    every segment before names are dropped.
  checkAborted();
  if (mine.color >= 0) {
    links.endpoints.resize(size_t(newSize));
    for (int i = 0; i < newSize; ++i) {
      if (i == newRank) continue;
      checkAborted();
      const size_t from = size_t(group[size_t(i)]);
      links.endpoints[size_t(i)] =
          links.transport->connect(i, std::span(addresses.data() + from * width, size_t(lengths[from])));
    }
  }
  //    The same step agrees on peer reads (as connectRanks does): the minimum over the parent of
  //    whether each member can read every peer in its group, so every group decides alike.
  uint8_t readsAll = 1;
  if (mine.color >= 0) {
    for (int i = 0; i < newSize; ++i) {
      if (i != newRank && !links.endpoints[size_t(i)]->canReadPeer()) readsAll = 0;
    }
  }
  uint8_t agreed = 0;
  coll::CollArgs agree{coll::CollKind::AllReduce, &readsAll, &agreed, 1, coll::DataType::Uint8, coll::ReduceOp::Min};
  run(agree);
  if (mine.color < 0) return nullptr;
  links.peerReads = agreed == 1;
  links.transport->finishSetup();
  WEFT_LOG(Info, "split: rank %d of %d is rank %d of %d in color %d", rank_, size_, newRank, newSize, mine.color);
  return assemble(newRank, newSize, config_, choosing_, std::move(links));
}

}  // namespace weft::runtime
