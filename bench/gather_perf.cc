// SPDX-License-Identifier: Apache-2.0
// gather_perf: measures and checks weftGather with nccl-tests' flags and table.
#include "bench/common/bandwidth.h"
#include "bench/common/check.h"
#include "bench/common/runner.h"

namespace {

using weft::bench::CallArgs;
using weft::bench::CheckSpec;
using weft::bench::copySpec;
using weft::bench::Layout;

class Gather final : public weft::bench::Collective {
 public:
  std::string_view name() const override { return "Gather"; }
  std::string weftAlgo(std::string_view algorithm) const override {
    return weft::bench::algoRule("gather", algorithm);
  }
  bool hasOp() const override { return false; }
  bool hasRoot() const override { return true; }
  double busBwFactor(int nranks) const override { return weft::bench::gatherBusFactor(nranks); }
  Layout layoutFor(size_t bytes, size_t elementBytes, int nranks) const override {
    return weft::bench::gatherLayout(bytes, elementBytes, nranks);
  }

  weftResult_t run(const CallArgs& a, weftComm_t comm) const override {
    return weftGather(a.send, a.recv, a.count, a.type, a.root, comm, a.stream);
  }

  // Element i of rank r's block is pattern (r, i); block j of the root's result must be rank j's.
  void fillInput(const CheckSpec& spec, const Layout& layout, int rank, int,
                 void* send) const override {
    weft::bench::fillInput(copySpec(spec), rank, send, layout.sendCount);
  }
  // The other ranks' receive buffers must be left as they were (in place, holding their block).
  void fillExpected(const CheckSpec& spec, const Layout& layout, int rank, int root,
                    void* expected) const override {
    if (rank == root) weft::bench::fillGathered(copySpec(spec), expected, layout.count);
  }
};

}  // namespace

int main(int argc, char** argv) { return weft::bench::runPerfMain(argc, argv, Gather()); }
