// SPDX-License-Identifier: Apache-2.0
// sendrecv_perf: measures and checks weftSend/weftRecv in a ring (each rank sends to the next and receives from the previous).
#include "bench/common/bandwidth.h"
#include "bench/common/check.h"
#include "bench/common/runner.h"

namespace {

using weft::bench::CallArgs;
using weft::bench::CheckSpec;
using weft::bench::copySpec;
using weft::bench::InPlace;
using weft::bench::Layout;

int previous(int rank, int nranks) { return (rank - 1 + nranks) % nranks; }

class SendRecv final : public weft::bench::Collective {
 public:
  std::string_view name() const override { return "SendRecv"; }
  // The send and the receive each have their own algorithm table.
  std::string weftAlgo(std::string_view algorithm) const override {
    return weft::bench::algoRule("send", algorithm) + "," + weft::bench::algoRule("recv", algorithm);
  }
  bool hasOp() const override { return false; }
  bool hasRoot() const override { return false; }
  // In place, an odd rank receives into its buffer before it sends from it, so what it passes
  // on is not its own data: timed, but not checked (nccl-tests does not check it either).
  InPlace inPlace() const override { return InPlace::Unchecked; }
  // weftSend to oneself is refused: a 1-rank ring has no link to measure.
  int minRanks() const override { return 2; }
  double busBwFactor(int nranks) const override { return weft::bench::sendRecvBusFactor(nranks); }
  Layout layoutFor(size_t bytes, size_t elementBytes, int) const override {
    return weft::bench::wholeLayout(bytes, elementBytes);
  }

  // nccl-tests posts the send and the receive in one group. Blocking calls need an order: even
  // ranks send first, odd ranks receive first. Rank 0 (even) sends to rank 1 (odd), which
  // receives first, so that pair completes; then each later pair in turn. With an odd number of
  // ranks the last rank (even) sends to rank 0, which receives once its own send is done. Every
  // send thus meets a posted receive after a finite chain, whatever the size.
  weftResult_t run(const CallArgs& a, weftComm_t comm) const override {
    const int next = (a.rank + 1) % a.nranks;
    const int prev = previous(a.rank, a.nranks);
    if (a.rank % 2 == 0) {
      const weftResult_t sent = weftSend(a.send, a.count, a.type, next, comm, a.stream);
      if (sent != weftSuccess) return sent;
      return weftRecv(a.recv, a.count, a.type, prev, comm, a.stream);
    }
    const weftResult_t received = weftRecv(a.recv, a.count, a.type, prev, comm, a.stream);
    if (received != weftSuccess) return received;
    return weftSend(a.send, a.count, a.type, next, comm, a.stream);
  }

  void fillInput(const CheckSpec& spec, const Layout& layout, int rank, int,
                 void* send) const override {
    weft::bench::fillInput(copySpec(spec), rank, send, layout.sendCount);
  }
  void fillExpected(const CheckSpec& spec, const Layout& layout, int rank, int,
                    void* expected) const override {
    weft::bench::fillInput(copySpec(spec), previous(rank, spec.nranks), expected, layout.recvCount);
  }
};

}  // namespace

int main(int argc, char** argv) { return weft::bench::runPerfMain(argc, argv, SendRecv()); }
