// SPDX-License-Identifier: Apache-2.0
// The interface each perf tool implements: how to call its collective, its bus-bandwidth factor and its expected values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "bench/common/check.h"
#include "bench/common/layout.h"
#include "runtime/weft.h"

namespace weft::bench {

// One call of the collective. In place, send and recv point into the same buffer as the
// collective's Layout says.
struct CallArgs {
  const void* send = nullptr;
  void* recv = nullptr;
  size_t count = 0;  // the count argument (Layout::count)
  weftDataType_t type = weftFloat32;
  weftRedOp_t op = weftSum;  // meaningful when hasOp()
  int root = 0;              // meaningful when hasRoot()
  int rank = 0;              // the caller's rank and the number of ranks
  int nranks = 1;
  bool inPlace = false;      // send and recv point into one buffer, at the layout's offsets
  void* stream = nullptr;    // --mem cuda: the cudaStream_t of the device buffers; else NULL
};

// One WEFT_ALGO rule: "<collective>:<algorithm>", the collective as WEFT_ALGO spells it.
inline std::string algoRule(std::string_view collective, std::string_view algorithm) {
  return std::string(collective) + ":" + std::string(algorithm);
}

// How the in-place group of columns is measured.
enum class InPlace {
  Checked,    // timed and checked, like the out-of-place group
  Unchecked,  // timed, #wrong shows N/A (nccl-tests' sendrecv: the in-place result is not defined)
  None,       // not run: the collective has no in-place form; all four columns show N/A
};

// Stateless; called concurrently from every rank thread.
class Collective {
 public:
  virtual ~Collective() = default;

  // For messages: "AllReduce", "Broadcast".
  virtual std::string_view name() const = 0;
  // The WEFT_ALGO value that makes weft use algorithm `algorithm` (-A) for the calls this tool
  // times, and only for them: algoRule("allreduce", algorithm) and the like (docs/env.md).
  virtual std::string weftAlgo(std::string_view algorithm) const = 0;
  // Whether -o is swept and the redop column names the op (else it shows "none").
  virtual bool hasOp() const = 0;
  // Whether -r is swept and the root column shows it (else -1).
  virtual bool hasRoot() const = 0;
  virtual InPlace inPlace() const { return InPlace::Checked; }
  // The fewest ranks the tool can run on; fewer is refused as a usage error.
  virtual int minRanks() const { return 1; }
  // False for a collective that moves no data (barrier): the sweep is one row of size 0 with type
  // "none", whatever -b, -e and -d say, and nothing is checked.
  virtual bool movesData() const { return true; }
  // busbw = algbw * busBwFactor(nranks); see bench/common/bandwidth.h.
  virtual double busBwFactor(int nranks) const = 0;
  // The count argument and buffer sizes for a row of `bytes` (see bench/common/layout.h).
  virtual Layout layoutFor(size_t bytes, size_t elementBytes, int nranks) const = 0;

  // Calls weft; returns its result untouched.
  virtual weftResult_t run(const CallArgs& args, weftComm_t comm) const = 0;

  // Writes rank `rank`'s input at its send pointer (layout.sendCount elements; in place, inside
  // the receive buffer), which has been zeroed. spec.op is the op of this run (weftSum when
  // !hasOp()); spec.nranks the number of ranks.
  virtual void fillInput(const CheckSpec& spec, const Layout& layout, int rank, int root,
                         void* send) const = 0;
  // `expected` (layout.recvCount elements) starts as a copy of the rank's receive region after
  // fillInput: what a rank the call does not write to must still hold. Overwrites in it what the
  // call must leave in the receive region of rank `rank`.
  virtual void fillExpected(const CheckSpec& spec, const Layout& layout, int rank, int root,
                            void* expected) const = 0;
};

}  // namespace weft::bench
