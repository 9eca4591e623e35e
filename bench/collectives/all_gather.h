// SPDX-License-Identifier: Apache-2.0
// AllGather: how the perf tools call, size, fill and check it (shared by all_gather_perf and, where MPI is
// found, mpi_all_gather_perf).
#pragma once

#include "bench/common/bandwidth.h"
#include "bench/common/check.h"
#include "bench/common/collective.h"

namespace weft::bench::tests {

class AllGather final : public weft::bench::Collective {
 public:
  std::string_view name() const override { return "AllGather"; }
  std::string weftAlgo(std::string_view algorithm) const override {
    return weft::bench::algoRule("allgather", algorithm);
  }
  bool hasOp() const override { return false; }
  bool hasRoot() const override { return false; }
  double busBwFactor(int nranks) const override { return weft::bench::allGatherBusFactor(nranks); }
  Layout layoutFor(size_t bytes, size_t elementBytes, int nranks) const override {
    return weft::bench::allGatherLayout(bytes, elementBytes, nranks);
  }

  weftResult_t run(const CallArgs& a, weftComm_t comm) const override {
    return weftAllGather(a.send, a.recv, a.count, a.type, comm, a.stream);
  }

  // Element i of rank r's block is pattern (r, i); block j of every result must be rank j's.
  void fillInput(const CheckSpec& spec, const Layout& layout, int rank, int,
                 void* send) const override {
    weft::bench::fillInput(copySpec(spec), rank, send, layout.sendCount);
  }
  void fillExpected(const CheckSpec& spec, const Layout& layout, int, int,
                    void* expected) const override {
    weft::bench::fillGathered(copySpec(spec), expected, layout.count);
  }
};

}  // namespace weft::bench::tests
