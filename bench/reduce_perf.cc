// SPDX-License-Identifier: Apache-2.0
// reduce_perf: measures and checks weftReduce with nccl-tests' flags and table.
#include "bench/common/bandwidth.h"
#include "bench/common/check.h"
#include "bench/common/runner.h"

namespace {

using weft::bench::CallArgs;
using weft::bench::CheckSpec;
using weft::bench::Layout;

class Reduce final : public weft::bench::Collective {
 public:
  std::string_view name() const override { return "Reduce"; }
  std::string weftAlgo(std::string_view algorithm) const override {
    return weft::bench::algoRule("reduce", algorithm);
  }
  bool hasOp() const override { return true; }
  bool hasRoot() const override { return true; }
  double busBwFactor(int nranks) const override { return weft::bench::reduceBusFactor(nranks); }
  Layout layoutFor(size_t bytes, size_t elementBytes, int) const override {
    return weft::bench::wholeLayout(bytes, elementBytes);
  }

  weftResult_t run(const CallArgs& a, weftComm_t comm) const override {
    return weftReduce(a.send, a.recv, a.count, a.type, a.op, a.root, comm, a.stream);
  }

  void fillInput(const CheckSpec& spec, const Layout& layout, int rank, int,
                 void* send) const override {
    weft::bench::fillInput(spec, rank, send, layout.sendCount);
  }
  // Only the root's receive buffer gets the result; the others' must be left as they were (zero
  // out of place, the rank's own input in place).
  void fillExpected(const CheckSpec& spec, const Layout& layout, int rank, int root,
                    void* expected) const override {
    if (rank == root) weft::bench::fillReduced(spec, expected, layout.recvCount);
  }
};

}  // namespace

int main(int argc, char** argv) { return weft::bench::runPerfMain(argc, argv, Reduce()); }
