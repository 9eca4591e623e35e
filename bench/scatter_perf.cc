// SPDX-License-Identifier: Apache-2.0
// scatter_perf: measures and checks weftScatter with nccl-tests' flags and table.
#include "bench/common/bandwidth.h"
#include "bench/common/check.h"
#include "bench/common/runner.h"

namespace {

using weft::bench::CallArgs;
using weft::bench::CheckSpec;
using weft::bench::copySpec;
using weft::bench::Layout;

class Scatter final : public weft::bench::Collective {
 public:
  std::string_view name() const override { return "Scatter"; }
  std::string weftAlgo(std::string_view algorithm) const override {
    return weft::bench::algoRule("scatter", algorithm);
  }
  bool hasOp() const override { return false; }
  bool hasRoot() const override { return true; }
  double busBwFactor(int nranks) const override { return weft::bench::scatterBusFactor(nranks); }
  Layout layoutFor(size_t bytes, size_t elementBytes, int nranks) const override {
    return weft::bench::scatterLayout(bytes, elementBytes, nranks);
  }

  weftResult_t run(const CallArgs& a, weftComm_t comm) const override {
    return weftScatter(a.send, a.recv, a.count, a.type, a.root, comm, a.stream);
  }

  // Only the root has data: element k of its n blocks is pattern (root, k), so rank r must get
  // elements r*count .. (r+1)*count-1 of it.
  void fillInput(const CheckSpec& spec, const Layout& layout, int rank, int root,
                 void* send) const override {
    if (rank == root) weft::bench::fillInput(copySpec(spec), root, send, layout.sendCount);
  }
  void fillExpected(const CheckSpec& spec, const Layout& layout, int rank, int root,
                    void* expected) const override {
    weft::bench::fillInput(copySpec(spec), root, expected, layout.recvCount,
                           static_cast<size_t>(rank) * layout.count);
  }
};

}  // namespace

int main(int argc, char** argv) { return weft::bench::runPerfMain(argc, argv, Scatter()); }
