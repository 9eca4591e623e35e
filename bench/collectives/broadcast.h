// SPDX-License-Identifier: Apache-2.0
// Broadcast: how the perf tools call, size, fill and check it (shared by broadcast_perf and, where MPI is
// found, mpi_broadcast_perf).
#pragma once

#include "bench/common/bandwidth.h"
#include "bench/common/check.h"
#include "bench/common/collective.h"

namespace weft::bench::tests {

class Broadcast final : public weft::bench::Collective {
 public:
  std::string_view name() const override { return "Broadcast"; }
  std::string weftAlgo(std::string_view algorithm) const override {
    return weft::bench::algoRule("broadcast", algorithm);
  }
  bool hasOp() const override { return false; }
  bool hasRoot() const override { return true; }
  double busBwFactor(int nranks) const override { return weft::bench::broadcastBusFactor(nranks); }
  Layout layoutFor(size_t bytes, size_t elementBytes, int) const override {
    return weft::bench::wholeLayout(bytes, elementBytes);
  }

  weftResult_t run(const CallArgs& a, weftComm_t comm) const override {
    return weftBroadcast(a.send, a.recv, a.count, a.type, a.root, comm, a.stream);
  }

  // Only the root has data; the others' receive buffers stay zero until the call fills them.
  void fillInput(const CheckSpec& spec, const Layout& layout, int rank, int root,
                 void* send) const override {
    if (rank == root) weft::bench::fillInput(copySpec(spec), root, send, layout.sendCount);
  }
  void fillExpected(const CheckSpec& spec, const Layout& layout, int, int root,
                    void* expected) const override {
    weft::bench::fillInput(copySpec(spec), root, expected, layout.recvCount);
  }
};

}  // namespace weft::bench::tests
