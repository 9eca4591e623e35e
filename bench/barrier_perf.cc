// SPDX-License-Identifier: Apache-2.0
// barrier_perf: measures weftBarrier's latency in nccl-tests' table (one row; no data, so no bandwidth and no check).
#include "bench/common/check.h"
#include "bench/common/runner.h"

namespace {

using weft::bench::CallArgs;
using weft::bench::CheckSpec;
using weft::bench::InPlace;
using weft::bench::Layout;

class Barrier final : public weft::bench::Collective {
 public:
  std::string_view name() const override { return "Barrier"; }
  std::string weftAlgo(std::string_view algorithm) const override {
    return weft::bench::algoRule("barrier", algorithm);
  }
  bool hasOp() const override { return false; }
  bool hasRoot() const override { return false; }
  InPlace inPlace() const override { return InPlace::None; }
  bool movesData() const override { return false; }
  // No bytes move: algbw is 0 / time = 0, and so is busbw.
  double busBwFactor(int) const override { return 0.0; }
  Layout layoutFor(size_t, size_t, int) const override { return Layout{}; }

  weftResult_t run(const CallArgs& a, weftComm_t comm) const override {
    return weftBarrier(comm, a.stream);
  }

  // Never called: the runner checks nothing for a collective that moves no data.
  void fillInput(const CheckSpec&, const Layout&, int, int, void*) const override {}
  void fillExpected(const CheckSpec&, const Layout&, int, int, void*) const override {}
};

}  // namespace

int main(int argc, char** argv) { return weft::bench::runPerfMain(argc, argv, Barrier()); }
