// SPDX-License-Identifier: Apache-2.0
// The sweep over weft: each operation one weft call, failures as WeftFailure.
#include <string>

#include "bench/common/backend.h"
#include "bench/common/weft_call.h"

namespace weft::bench {

WeftBackend::WeftBackend(weftComm_t comm) : comm_(comm) {
  checkWeft(weftCommUserRank(comm_, &rank_), comm_, "weftCommUserRank");
  checkWeft(weftCommCount(comm_, &size_), comm_, "weftCommCount");
}

void WeftBackend::call(const Collective& coll, const CallArgs& args) {
  // The name is built only for a failure: this is inside the timed loop.
  const weftResult_t result = coll.run(args, comm_);
  if (result != weftSuccess) checkWeft(result, comm_, "weft" + std::string(coll.name()));
}

void WeftBackend::groupStart() { checkWeft(weftGroupStart(), comm_, "weftGroupStart"); }

void WeftBackend::groupEnd() { checkWeft(weftGroupEnd(), comm_, "weftGroupEnd"); }

void WeftBackend::allReduce(void* buf, size_t count, weftDataType_t type, weftRedOp_t op, const char* what) {
  checkWeft(weftAllReduce(buf, buf, count, type, op, comm_, nullptr), comm_, std::string("weftAllReduce (") + what + ")");
}

void WeftBackend::broadcast(void* buf, size_t count, weftDataType_t type, int root, const char* what) {
  checkWeft(weftBroadcast(buf, buf, count, type, root, comm_, nullptr), comm_,
            std::string("weftBroadcast (") + what + ")");
}

}  // namespace weft::bench
