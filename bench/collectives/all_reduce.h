// SPDX-License-Identifier: Apache-2.0
// AllReduce: how the perf tools call, size, fill and check it (shared by all_reduce_perf and, where MPI is
// found, mpi_all_reduce_perf).
#pragma once

#include "bench/common/bandwidth.h"
#include "bench/common/check.h"
#include "bench/common/collective.h"

namespace weft::bench::tests {

class AllReduce final : public weft::bench::Collective {
 public:
  std::string_view name() const override { return "AllReduce"; }
  std::string weftAlgo(std::string_view algorithm) const override {
    return weft::bench::algoRule("allreduce", algorithm);
  }
  bool hasOp() const override { return true; }
  bool hasRoot() const override { return false; }
  double busBwFactor(int nranks) const override { return weft::bench::allReduceBusFactor(nranks); }
  Layout layoutFor(size_t bytes, size_t elementBytes, int) const override {
    return weft::bench::wholeLayout(bytes, elementBytes);
  }

  weftResult_t run(const CallArgs& a, weftComm_t comm) const override {
    return weftAllReduce(a.send, a.recv, a.count, a.type, a.op, comm, a.stream);
  }

  // Every rank contributes its own pattern; every rank must end with the reduction of all.
  void fillInput(const CheckSpec& spec, const Layout& layout, int rank, int,
                 void* send) const override {
    weft::bench::fillInput(spec, rank, send, layout.sendCount);
  }
  void fillExpected(const CheckSpec& spec, const Layout& layout, int, int,
                    void* expected) const override {
    weft::bench::fillReduced(spec, expected, layout.recvCount);
  }
};

}  // namespace weft::bench::tests
