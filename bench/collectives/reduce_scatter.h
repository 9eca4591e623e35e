// SPDX-License-Identifier: Apache-2.0
// ReduceScatter: how the perf tools call, size, fill and check it (shared by reduce_scatter_perf and, where MPI is
// found, mpi_reduce_scatter_perf).
#pragma once

#include "bench/common/bandwidth.h"
#include "bench/common/check.h"
#include "bench/common/collective.h"

namespace weft::bench::tests {

class ReduceScatter final : public weft::bench::Collective {
 public:
  std::string_view name() const override { return "ReduceScatter"; }
  std::string weftAlgo(std::string_view algorithm) const override {
    return weft::bench::algoRule("reducescatter", algorithm);
  }
  bool hasOp() const override { return true; }
  bool hasRoot() const override { return false; }
  double busBwFactor(int nranks) const override {
    return weft::bench::reduceScatterBusFactor(nranks);
  }
  Layout layoutFor(size_t bytes, size_t elementBytes, int nranks) const override {
    return weft::bench::reduceScatterLayout(bytes, elementBytes, nranks);
  }

  weftResult_t run(const CallArgs& a, weftComm_t comm) const override {
    return weftReduceScatter(a.send, a.recv, a.count, a.type, a.op, comm, a.stream);
  }

  // Every rank contributes n blocks; rank r must end with block r of the reduction.
  void fillInput(const CheckSpec& spec, const Layout& layout, int rank, int,
                 void* send) const override {
    weft::bench::fillInput(spec, rank, send, layout.sendCount);
  }
  void fillExpected(const CheckSpec& spec, const Layout& layout, int rank, int,
                    void* expected) const override {
    weft::bench::fillReduced(spec, expected, layout.recvCount,
                             static_cast<size_t>(rank) * layout.count);
  }
};

}  // namespace weft::bench::tests
