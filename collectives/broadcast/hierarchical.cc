// SPDX-License-Identifier: Apache-2.0
// Hierarchical broadcast for jobs over several hosts: a chain across hosts among one leader per
// host, and a chain inside each host from its leader, pipelined together chunk by chunk, so that
// each byte crosses the network once per host.
#include <vector>

#include "collectives/broadcast/any_tree.h"
#include "collectives/registry.h"

namespace weft::coll {

// Note [Hierarchical broadcast]
// The leader of the root's host is the root; of every other host, its lowest rank. Hosts are
// visited from the root's on, in order of their number (hostOf) counted from the root's, and the
// leaders form a chain in that order; inside a host the ranks form a chain from the leader,
// upwards in rank order and wrapping round. A leader serves the next leader first (the slower
// link), then its host's chain. It is one tree, so the pipelined tree broadcast runs it: every
// link carries each chunk once, the network links H-1 times in all, and the farthest rank is
// (H-1) + (L-1) hops from the root rather than the chain's n-1.
TreePlace hierarchicalPlace(const Context& ctx, int root) {
  const int hosts = ctx.hostCount;
  const auto host = [&](int r) { return ctx.hostOf[size_t(r)]; };
  std::vector<int> leader(size_t(hosts), -1);
  for (int r = ctx.size - 1; r >= 0; --r) leader[size_t(host(r))] = r;
  leader[size_t(host(root))] = root;
  const int me = ctx.rank, myHost = host(me);
  // Position of a host in the chain of leaders.
  const auto hostPos = [&](int h) { return (h - host(root) + hosts) % hosts; };
  TreePlace place;
  // The ranks of my host in chain order, from the leader.
  std::vector<int> local;
  for (int i = 0; i < ctx.size; ++i) {
    const int r = (leader[size_t(myHost)] + i) % ctx.size;
    if (host(r) == myHost) local.push_back(r);
  }
  size_t at = 0;
  while (local[at] != me) ++at;
  if (at == 0) {  // a leader
    const int pos = hostPos(myHost);
    if (pos > 0) {
      for (int h = 0; h < hosts; ++h) {
        if (hostPos(h) == pos - 1) place.parent = leader[size_t(h)];
      }
    }
    if (pos < hosts - 1) {
      for (int h = 0; h < hosts; ++h) {
        if (hostPos(h) == pos + 1) place.children.push_back(leader[size_t(h)]);
      }
    }
  } else {
    place.parent = local[at - 1];
  }
  if (at + 1 < local.size()) place.children.push_back(local[at + 1]);
  return place;
}

namespace {

class HierarchicalBroadcast final : public Algorithm {
 public:
  std::string_view name() const override { return "hierarchical"; }
  CollKind kind() const override { return CollKind::Broadcast; }
  // Several hosts, each with at least one rank (any numbers of ranks per host).
  bool supports(const CollArgs&, const Context& ctx) const override {
    return ctx.hostCount >= 2 && ctx.hostOf.size() == size_t(ctx.size);
  }
  // The default shape, the chain's: the tuner has no constants for jobs over several hosts.
  std::unique_ptr<Operation> start(const Context& ctx, const CollArgs& args) const override {
    return startTreeBroadcast(ctx, args, hierarchicalPlace(ctx, args.root));
  }
};

}  // namespace

const Algorithm& hierarchicalBroadcast() {
  static const HierarchicalBroadcast algo;
  return algo;
}

}  // namespace weft::coll
