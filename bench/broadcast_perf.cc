// SPDX-License-Identifier: Apache-2.0
// broadcast_perf: measures and checks weftBroadcast with nccl-tests' flags and table.
#include "bench/common/bandwidth.h"
#include "bench/common/check.h"
#include "bench/common/runner.h"

namespace {

using weft::bench::CallArgs;
using weft::bench::CheckSpec;
using weft::bench::copySpec;
using weft::bench::Layout;

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
    return weftBroadcast(a.send, a.recv, a.count, a.type, a.root, comm, nullptr);
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

}  // namespace

int main(int argc, char** argv) { return weft::bench::runPerfMain(argc, argv, Broadcast()); }
