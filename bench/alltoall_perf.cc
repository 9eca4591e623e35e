// SPDX-License-Identifier: Apache-2.0
// alltoall_perf: measures and checks weftAllToAll with nccl-tests' flags and table (out of place only).
#include "bench/common/bandwidth.h"
#include "bench/common/check.h"
#include "bench/common/runner.h"

namespace {

using weft::bench::CallArgs;
using weft::bench::CheckSpec;
using weft::bench::copySpec;
using weft::bench::InPlace;
using weft::bench::Layout;

class AllToAll final : public weft::bench::Collective {
 public:
  std::string_view name() const override { return "AllToAll"; }
  std::string weftAlgo(std::string_view algorithm) const override {
    return weft::bench::algoRule("alltoall", algorithm);
  }
  bool hasOp() const override { return false; }
  bool hasRoot() const override { return false; }
  // weftAllToAll refuses overlapping buffers, so there is no in-place call to time.
  InPlace inPlace() const override { return InPlace::None; }
  double busBwFactor(int nranks) const override { return weft::bench::allToAllBusFactor(nranks); }
  Layout layoutFor(size_t bytes, size_t elementBytes, int nranks) const override {
    return weft::bench::allToAllLayout(bytes, elementBytes, nranks);
  }

  weftResult_t run(const CallArgs& a, weftComm_t comm) const override {
    return weftAllToAll(a.send, a.recv, a.count, a.type, comm, a.stream);
  }

  // Element k of rank r's send buffer is pattern (r, k): block j (k = j*count + i) goes to rank
  // j, so block j of rank r's result must be elements r*count .. (r+1)*count-1 of rank j's.
  void fillInput(const CheckSpec& spec, const Layout& layout, int rank, int,
                 void* send) const override {
    weft::bench::fillInput(copySpec(spec), rank, send, layout.sendCount);
  }
  void fillExpected(const CheckSpec& spec, const Layout& layout, int rank, int,
                    void* expected) const override {
    weft::bench::fillGathered(copySpec(spec), expected, layout.count,
                              static_cast<size_t>(rank) * layout.count);
  }
};

}  // namespace

int main(int argc, char** argv) { return weft::bench::runPerfMain(argc, argv, AllToAll()); }
