// SPDX-License-Identifier: Apache-2.0
// What the sweep runs on: weft (every *_perf tool) or a reference library (bench/mpi: the same
// table for MPI's calls). The sweep's own bookkeeping (barriers, combining times, counting wrong
// values) goes through the same library as the timed calls.
#pragma once

#include <cstddef>

#include "bench/common/collective.h"
#include "runtime/weft.h"

namespace weft::bench {

// Loop-bound: one rank's thread uses it.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  // Library name for messages ("weft", "MPI").
  virtual const char* name() const = 0;
  // The timed call; throws (WeftFailure, or the library's own error) when it fails.
  virtual void call(const Collective& coll, const CallArgs& args) = 0;
  // -m: the operations of one iteration as one group (a library without groups runs them in turn).
  virtual void groupStart() {}
  virtual void groupEnd() {}
  // Blocking, in place, on this rank's buffer; `what` names the purpose in errors.
  virtual void allReduce(void* buf, size_t count, weftDataType_t type, weftRedOp_t op, const char* what) = 0;
  virtual void broadcast(void* buf, size_t count, weftDataType_t type, int root, const char* what) = 0;
};

// Over a weft communicator (not owned).
class WeftBackend final : public Backend {
 public:
  explicit WeftBackend(weftComm_t comm);
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* name() const override { return "weft"; }
  void call(const Collective& coll, const CallArgs& args) override;
  void groupStart() override;
  void groupEnd() override;
  void allReduce(void* buf, size_t count, weftDataType_t type, weftRedOp_t op, const char* what) override;
  void broadcast(void* buf, size_t count, weftDataType_t type, int root, const char* what) override;

 private:
  weftComm_t comm_;
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace weft::bench
