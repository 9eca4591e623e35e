// SPDX-License-Identifier: Apache-2.0
// The extern "C" collectives of weft.h: argument checks per call, then Communicator::run.
#include "runtime/c_api_support.h"
#include "runtime/weft.h"

using weft::InvalidArgument;
using weft::coll::CollArgs;
using weft::coll::CollKind;
using namespace weft::capi;

namespace {

using weft::runtime::Communicator;

const std::byte* at(const void* base, size_t offset) { return static_cast<const std::byte*>(base) + offset; }

// Argument checks per call: each returns the validated arguments.
CollArgs allReduceArgs(const Communicator&, const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, weftRedOp_t op) {
  CollArgs a{CollKind::AllReduce, sendbuff, recvbuff, count, checkedType(datatype), checkedOp(op)};
  const size_t bytes = checkedBytes(count, a.dtype);
  checkNotNull(sendbuff, bytes, "sendbuff");
  checkNotNull(recvbuff, bytes, "recvbuff");
  checkOverlap(sendbuff, bytes, recvbuff, bytes, sendbuff == recvbuff, "sendbuff == recvbuff");
  return a;
}

CollArgs broadcastArgs(const Communicator& c, const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root) {
  CollArgs a{CollKind::Broadcast, sendbuff, recvbuff, count, checkedType(datatype)};
  a.root = root;
  checkRoot(root, c);
  const size_t bytes = checkedBytes(count, a.dtype);
  checkNotNull(recvbuff, bytes, "recvbuff");
  if (c.rank() == root) {
    checkNotNull(sendbuff, bytes, "sendbuff");
    checkOverlap(sendbuff, bytes, recvbuff, bytes, sendbuff == recvbuff, "sendbuff == recvbuff");
  }
  return a;
}

CollArgs reduceArgs(const Communicator& c, const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, weftRedOp_t op, int root) {
  CollArgs a{CollKind::Reduce, sendbuff, recvbuff, count, checkedType(datatype), checkedOp(op)};
  a.root = root;
  checkRoot(root, c);
  const size_t bytes = checkedBytes(count, a.dtype);
  checkNotNull(sendbuff, bytes, "sendbuff");
  if (c.rank() == root) {
    checkNotNull(recvbuff, bytes, "recvbuff");
    checkOverlap(sendbuff, bytes, recvbuff, bytes, sendbuff == recvbuff, "sendbuff == recvbuff");
  }
  return a;
}

CollArgs allGatherArgs(const Communicator& c, const void* sendbuff, void* recvbuff, size_t sendcount, weftDataType_t datatype) {
  CollArgs a{CollKind::AllGather, sendbuff, recvbuff, sendcount, checkedType(datatype)};
  const size_t block = checkedBytes(sendcount, a.dtype), all = checkedBytes(sendcount, a.dtype, size_t(c.size()));
  checkNotNull(sendbuff, block, "sendbuff");
  checkNotNull(recvbuff, all, "recvbuff");
  checkOverlap(sendbuff, block, recvbuff, all, at(recvbuff, block * size_t(c.rank())) == sendbuff,
               "sendbuff == recvbuff + rank * sendcount");
  return a;
}

CollArgs reduceScatterArgs(const Communicator& c, const void* sendbuff, void* recvbuff, size_t recvcount, weftDataType_t datatype, weftRedOp_t op) {
  CollArgs a{CollKind::ReduceScatter, sendbuff, recvbuff, recvcount, checkedType(datatype), checkedOp(op)};
  const size_t block = checkedBytes(recvcount, a.dtype), all = checkedBytes(recvcount, a.dtype, size_t(c.size()));
  checkNotNull(sendbuff, all, "sendbuff");
  checkNotNull(recvbuff, block, "recvbuff");
  checkOverlap(sendbuff, all, recvbuff, block, at(sendbuff, block * size_t(c.rank())) == recvbuff,
               "recvbuff == sendbuff + rank * recvcount");
  return a;
}

CollArgs allToAllArgs(const Communicator& c, const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype) {
  CollArgs a{CollKind::AllToAll, sendbuff, recvbuff, count, checkedType(datatype)};
  const size_t all = checkedBytes(count, a.dtype, size_t(c.size()));
  checkNotNull(sendbuff, all, "sendbuff");
  checkNotNull(recvbuff, all, "recvbuff");
  checkOverlap(sendbuff, all, recvbuff, all, false, "nothing: all-to-all needs separate buffers");
  return a;
}

CollArgs scatterArgs(const Communicator& c, const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root) {
  CollArgs a{CollKind::Scatter, sendbuff, recvbuff, count, checkedType(datatype)};
  a.root = root;
  checkRoot(root, c);
  const size_t block = checkedBytes(count, a.dtype), all = checkedBytes(count, a.dtype, size_t(c.size()));
  checkNotNull(recvbuff, block, "recvbuff");
  if (c.rank() == root) {
    checkNotNull(sendbuff, all, "sendbuff");
    checkOverlap(sendbuff, all, recvbuff, block, at(sendbuff, block * size_t(root)) == recvbuff,
                 "recvbuff == sendbuff + root * count");
  }
  return a;
}

CollArgs gatherArgs(const Communicator& c, const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root) {
  CollArgs a{CollKind::Gather, sendbuff, recvbuff, count, checkedType(datatype)};
  a.root = root;
  checkRoot(root, c);
  const size_t block = checkedBytes(count, a.dtype), all = checkedBytes(count, a.dtype, size_t(c.size()));
  checkNotNull(sendbuff, block, "sendbuff");
  if (c.rank() == root) {
    checkNotNull(recvbuff, all, "recvbuff");
    checkOverlap(sendbuff, block, recvbuff, all, at(recvbuff, block * size_t(root)) == sendbuff,
                 "sendbuff == recvbuff + root * count");
  }
  return a;
}

CollArgs sendArgs(const Communicator& c, const void* sendbuff, size_t count, weftDataType_t datatype, int peer) {
  CollArgs a{CollKind::Send, sendbuff, nullptr, count, checkedType(datatype)};
  a.root = peer;
  checkRoot(peer, c, "peer");
  if (peer == c.rank()) throw InvalidArgument("a rank cannot send to itself (it would wait for its own receive)");
  checkNotNull(sendbuff, checkedBytes(count, a.dtype), "sendbuff");
  return a;
}

CollArgs recvArgs(const Communicator& c, void* recvbuff, size_t count, weftDataType_t datatype, int peer) {
  CollArgs a{CollKind::Recv, nullptr, recvbuff, count, checkedType(datatype)};
  a.root = peer;
  checkRoot(peer, c, "peer");
  if (peer == c.rank()) throw InvalidArgument("a rank cannot receive from itself");
  checkNotNull(recvbuff, checkedBytes(count, a.dtype), "recvbuff");
  return a;
}

CollArgs barrierArgs(const Communicator&) {
  CollArgs a{CollKind::Barrier, nullptr, nullptr, 0, weft::coll::DataType::Uint8};
  return a;
}

// The body of every entry point below: look the communicator up, check the arguments
// (`build`), then run, queue or record the call (dispatch).
template <class Build>
weftResult_t call(const char* func, weftComm_t comm, weftStream_t stream, Build&& build) {
  return guarded(func, [&] {
    auto& c = lookup(comm);
    dispatch(c, build(c), nullptr, stream);
  });
}

template <class Build>
weftResult_t callAsync(const char* func, weftComm_t comm, weftStream_t stream, weftRequest_t* request, Build&& build) {
  return guarded(func, [&] {
    checkedRequest(request);
    auto& c = lookup(comm);
    dispatch(c, build(c), request, stream);
  });
}

}  // namespace

extern "C" {

weftResult_t weftAllReduce(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, weftRedOp_t op, weftComm_t comm, weftStream_t stream) {
  return call(__func__, comm, stream, [&](const Communicator& c) { return allReduceArgs(c, sendbuff, recvbuff, count, datatype, op); });
}

weftResult_t weftAllReduceAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, weftRedOp_t op, weftComm_t comm, weftStream_t stream, weftRequest_t* request) {
  return callAsync(__func__, comm, stream, request, [&](const Communicator& c) { return allReduceArgs(c, sendbuff, recvbuff, count, datatype, op); });
}

weftResult_t weftBroadcast(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root, weftComm_t comm, weftStream_t stream) {
  return call(__func__, comm, stream, [&](const Communicator& c) { return broadcastArgs(c, sendbuff, recvbuff, count, datatype, root); });
}

weftResult_t weftBroadcastAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root, weftComm_t comm, weftStream_t stream, weftRequest_t* request) {
  return callAsync(__func__, comm, stream, request, [&](const Communicator& c) { return broadcastArgs(c, sendbuff, recvbuff, count, datatype, root); });
}

weftResult_t weftReduce(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, weftRedOp_t op, int root, weftComm_t comm, weftStream_t stream) {
  return call(__func__, comm, stream, [&](const Communicator& c) { return reduceArgs(c, sendbuff, recvbuff, count, datatype, op, root); });
}

weftResult_t weftReduceAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, weftRedOp_t op, int root, weftComm_t comm, weftStream_t stream, weftRequest_t* request) {
  return callAsync(__func__, comm, stream, request, [&](const Communicator& c) { return reduceArgs(c, sendbuff, recvbuff, count, datatype, op, root); });
}

weftResult_t weftAllGather(const void* sendbuff, void* recvbuff, size_t sendcount, weftDataType_t datatype, weftComm_t comm, weftStream_t stream) {
  return call(__func__, comm, stream, [&](const Communicator& c) { return allGatherArgs(c, sendbuff, recvbuff, sendcount, datatype); });
}

weftResult_t weftAllGatherAsync(const void* sendbuff, void* recvbuff, size_t sendcount, weftDataType_t datatype, weftComm_t comm, weftStream_t stream, weftRequest_t* request) {
  return callAsync(__func__, comm, stream, request, [&](const Communicator& c) { return allGatherArgs(c, sendbuff, recvbuff, sendcount, datatype); });
}

weftResult_t weftReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount, weftDataType_t datatype, weftRedOp_t op, weftComm_t comm, weftStream_t stream) {
  return call(__func__, comm, stream, [&](const Communicator& c) { return reduceScatterArgs(c, sendbuff, recvbuff, recvcount, datatype, op); });
}

weftResult_t weftReduceScatterAsync(const void* sendbuff, void* recvbuff, size_t recvcount, weftDataType_t datatype, weftRedOp_t op, weftComm_t comm, weftStream_t stream, weftRequest_t* request) {
  return callAsync(__func__, comm, stream, request, [&](const Communicator& c) { return reduceScatterArgs(c, sendbuff, recvbuff, recvcount, datatype, op); });
}

weftResult_t weftAllToAll(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, weftComm_t comm, weftStream_t stream) {
  return call(__func__, comm, stream, [&](const Communicator& c) { return allToAllArgs(c, sendbuff, recvbuff, count, datatype); });
}

weftResult_t weftAllToAllAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, weftComm_t comm, weftStream_t stream, weftRequest_t* request) {
  return callAsync(__func__, comm, stream, request, [&](const Communicator& c) { return allToAllArgs(c, sendbuff, recvbuff, count, datatype); });
}

weftResult_t weftScatter(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root, weftComm_t comm, weftStream_t stream) {
  return call(__func__, comm, stream, [&](const Communicator& c) { return scatterArgs(c, sendbuff, recvbuff, count, datatype, root); });
}

weftResult_t weftScatterAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root, weftComm_t comm, weftStream_t stream, weftRequest_t* request) {
  return callAsync(__func__, comm, stream, request, [&](const Communicator& c) { return scatterArgs(c, sendbuff, recvbuff, count, datatype, root); });
}

weftResult_t weftGather(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root, weftComm_t comm, weftStream_t stream) {
  return call(__func__, comm, stream, [&](const Communicator& c) { return gatherArgs(c, sendbuff, recvbuff, count, datatype, root); });
}

weftResult_t weftGatherAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root, weftComm_t comm, weftStream_t stream, weftRequest_t* request) {
  return callAsync(__func__, comm, stream, request, [&](const Communicator& c) { return gatherArgs(c, sendbuff, recvbuff, count, datatype, root); });
}

weftResult_t weftSend(const void* sendbuff, size_t count, weftDataType_t datatype, int peer, weftComm_t comm, weftStream_t stream) {
  return call(__func__, comm, stream, [&](const Communicator& c) { return sendArgs(c, sendbuff, count, datatype, peer); });
}

weftResult_t weftSendAsync(const void* sendbuff, size_t count, weftDataType_t datatype, int peer, weftComm_t comm, weftStream_t stream, weftRequest_t* request) {
  return callAsync(__func__, comm, stream, request, [&](const Communicator& c) { return sendArgs(c, sendbuff, count, datatype, peer); });
}

weftResult_t weftRecv(void* recvbuff, size_t count, weftDataType_t datatype, int peer, weftComm_t comm, weftStream_t stream) {
  return call(__func__, comm, stream, [&](const Communicator& c) { return recvArgs(c, recvbuff, count, datatype, peer); });
}

weftResult_t weftRecvAsync(void* recvbuff, size_t count, weftDataType_t datatype, int peer, weftComm_t comm, weftStream_t stream, weftRequest_t* request) {
  return callAsync(__func__, comm, stream, request, [&](const Communicator& c) { return recvArgs(c, recvbuff, count, datatype, peer); });
}

weftResult_t weftBarrier(weftComm_t comm, weftStream_t stream) {
  return call(__func__, comm, stream, [&](const Communicator& c) { return barrierArgs(c); });
}

weftResult_t weftBarrierAsync(weftComm_t comm, weftStream_t stream, weftRequest_t* request) {
  return callAsync(__func__, comm, stream, request, [&](const Communicator& c) { return barrierArgs(c); });
}

}  // extern "C"
