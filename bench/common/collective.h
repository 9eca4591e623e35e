// SPDX-License-Identifier: Apache-2.0
// The interface each perf tool implements: how to call its collective, its bus-bandwidth factor and its expected values.
#pragma once

#include <cstddef>
#include <string_view>

#include "bench/common/check.h"
#include "runtime/weft.h"

namespace weft::bench {

// One call of the collective; send == recv when in place.
struct CallArgs {
  const void* send = nullptr;
  void* recv = nullptr;
  size_t count = 0;  // elements per rank
  weftDataType_t type = weftFloat32;
  weftRedOp_t op = weftSum;  // meaningful when hasOp()
  int root = 0;              // meaningful when hasRoot()
};

// Stateless; called concurrently from every rank thread.
class Collective {
 public:
  virtual ~Collective() = default;

  // For messages: "AllReduce", "Broadcast".
  virtual std::string_view name() const = 0;
  // Whether -o is swept and the redop column names the op (else it shows "none").
  virtual bool hasOp() const = 0;
  // Whether -r is swept and the root column shows it (else -1).
  virtual bool hasRoot() const = 0;
  // busbw = algbw * busBwFactor(nranks); see bench/common/bandwidth.h.
  virtual double busBwFactor(int nranks) const = 0;
  // Both buffers hold this many elements for a size of `bytes` (rounded down).
  virtual size_t countFor(size_t bytes, size_t elementBytes, int nranks) const = 0;

  // Calls weft; returns its result untouched.
  virtual weftResult_t run(const CallArgs& args, weftComm_t comm) const = 0;

  // Writes rank `rank`'s input into `input` (the send buffer, or the receive buffer when in
  // place; it has been zeroed). spec.op is the op of this run (weftSum when !hasOp()).
  virtual void fillInput(const CheckSpec& spec, int rank, int root, void* input,
                         size_t count) const = 0;
  // Writes what every rank's receive buffer must hold after the call.
  virtual void fillExpected(const CheckSpec& spec, int root, void* expected,
                            size_t count) const = 0;
};

}  // namespace weft::bench
