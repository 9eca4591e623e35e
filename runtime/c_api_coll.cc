// SPDX-License-Identifier: Apache-2.0
// The extern "C" collectives of weft.h: argument checks per call, then Communicator::run.
#include "runtime/c_api_support.h"
#include "runtime/weft.h"

using weft::InvalidArgument;
using weft::coll::CollArgs;
using weft::coll::CollKind;
using namespace weft::capi;

namespace {

const std::byte* at(const void* base, size_t offset) { return static_cast<const std::byte*>(base) + offset; }

}  // namespace

extern "C" {

weftResult_t weftAllReduce(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype,
                           weftRedOp_t op, weftComm_t comm, weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    CollArgs a{CollKind::AllReduce, sendbuff, recvbuff, count, checkedType(datatype), checkedOp(op)};
    const size_t bytes = checkedBytes(count, a.dtype);
    checkHostStream(stream);
    checkNotNull(sendbuff, bytes, "sendbuff");
    checkNotNull(recvbuff, bytes, "recvbuff");
    checkOverlap(sendbuff, bytes, recvbuff, bytes, sendbuff == recvbuff, "sendbuff == recvbuff");
    c.run(a);
  });
}

weftResult_t weftBroadcast(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype,
                           int root, weftComm_t comm, weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    CollArgs a{CollKind::Broadcast, sendbuff, recvbuff, count, checkedType(datatype)};
    a.root = root;
    checkRoot(root, c);
    const size_t bytes = checkedBytes(count, a.dtype);
    checkHostStream(stream);
    checkNotNull(recvbuff, bytes, "recvbuff");
    if (c.rank() == root) {
      checkNotNull(sendbuff, bytes, "sendbuff");
      checkOverlap(sendbuff, bytes, recvbuff, bytes, sendbuff == recvbuff, "sendbuff == recvbuff");
    }
    c.run(a);
  });
}

weftResult_t weftReduce(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype,
                        weftRedOp_t op, int root, weftComm_t comm, weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    CollArgs a{CollKind::Reduce, sendbuff, recvbuff, count, checkedType(datatype), checkedOp(op)};
    a.root = root;
    checkRoot(root, c);
    const size_t bytes = checkedBytes(count, a.dtype);
    checkHostStream(stream);
    checkNotNull(sendbuff, bytes, "sendbuff");
    if (c.rank() == root) {
      checkNotNull(recvbuff, bytes, "recvbuff");
      checkOverlap(sendbuff, bytes, recvbuff, bytes, sendbuff == recvbuff, "sendbuff == recvbuff");
    }
    c.run(a);
  });
}

weftResult_t weftAllGather(const void* sendbuff, void* recvbuff, size_t sendcount, weftDataType_t datatype,
                           weftComm_t comm, weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    CollArgs a{CollKind::AllGather, sendbuff, recvbuff, sendcount, checkedType(datatype)};
    const size_t block = checkedBytes(sendcount, a.dtype), all = checkedBytes(sendcount, a.dtype, size_t(c.size()));
    checkHostStream(stream);
    checkNotNull(sendbuff, block, "sendbuff");
    checkNotNull(recvbuff, all, "recvbuff");
    checkOverlap(sendbuff, block, recvbuff, all, at(recvbuff, block * size_t(c.rank())) == sendbuff,
                 "sendbuff == recvbuff + rank * sendcount");
    c.run(a);
  });
}

weftResult_t weftReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount, weftDataType_t datatype,
                               weftRedOp_t op, weftComm_t comm, weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    CollArgs a{CollKind::ReduceScatter, sendbuff, recvbuff, recvcount, checkedType(datatype), checkedOp(op)};
    const size_t block = checkedBytes(recvcount, a.dtype), all = checkedBytes(recvcount, a.dtype, size_t(c.size()));
    checkHostStream(stream);
    checkNotNull(sendbuff, all, "sendbuff");
    checkNotNull(recvbuff, block, "recvbuff");
    checkOverlap(sendbuff, all, recvbuff, block, at(sendbuff, block * size_t(c.rank())) == recvbuff,
                 "recvbuff == sendbuff + rank * recvcount");
    c.run(a);
  });
}

weftResult_t weftAllToAll(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype,
                          weftComm_t comm, weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    CollArgs a{CollKind::AllToAll, sendbuff, recvbuff, count, checkedType(datatype)};
    const size_t all = checkedBytes(count, a.dtype, size_t(c.size()));
    checkHostStream(stream);
    checkNotNull(sendbuff, all, "sendbuff");
    checkNotNull(recvbuff, all, "recvbuff");
    checkOverlap(sendbuff, all, recvbuff, all, false, "nothing: all-to-all needs separate buffers");
    c.run(a);
  });
}

weftResult_t weftScatter(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root,
                         weftComm_t comm, weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    CollArgs a{CollKind::Scatter, sendbuff, recvbuff, count, checkedType(datatype)};
    a.root = root;
    checkRoot(root, c);
    const size_t block = checkedBytes(count, a.dtype), all = checkedBytes(count, a.dtype, size_t(c.size()));
    checkHostStream(stream);
    checkNotNull(recvbuff, block, "recvbuff");
    if (c.rank() == root) {
      checkNotNull(sendbuff, all, "sendbuff");
      checkOverlap(sendbuff, all, recvbuff, block, at(sendbuff, block * size_t(root)) == recvbuff,
                   "recvbuff == sendbuff + root * count");
    }
    c.run(a);
  });
}

weftResult_t weftGather(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root,
                        weftComm_t comm, weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    CollArgs a{CollKind::Gather, sendbuff, recvbuff, count, checkedType(datatype)};
    a.root = root;
    checkRoot(root, c);
    const size_t block = checkedBytes(count, a.dtype), all = checkedBytes(count, a.dtype, size_t(c.size()));
    checkHostStream(stream);
    checkNotNull(sendbuff, block, "sendbuff");
    if (c.rank() == root) {
      checkNotNull(recvbuff, all, "recvbuff");
      checkOverlap(sendbuff, block, recvbuff, all, at(recvbuff, block * size_t(root)) == sendbuff,
                   "sendbuff == recvbuff + root * count");
    }
    c.run(a);
  });
}

weftResult_t weftSend(const void* sendbuff, size_t count, weftDataType_t datatype, int peer, weftComm_t comm,
                      weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    CollArgs a{CollKind::Send, sendbuff, nullptr, count, checkedType(datatype)};
    a.root = peer;
    checkRoot(peer, c, "peer");
    if (peer == c.rank()) throw InvalidArgument("a rank cannot send to itself (it would wait for its own receive)");
    checkHostStream(stream);
    checkNotNull(sendbuff, checkedBytes(count, a.dtype), "sendbuff");
    c.run(a);
  });
}

weftResult_t weftRecv(void* recvbuff, size_t count, weftDataType_t datatype, int peer, weftComm_t comm,
                      weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    CollArgs a{CollKind::Recv, nullptr, recvbuff, count, checkedType(datatype)};
    a.root = peer;
    checkRoot(peer, c, "peer");
    if (peer == c.rank()) throw InvalidArgument("a rank cannot receive from itself");
    checkHostStream(stream);
    checkNotNull(recvbuff, checkedBytes(count, a.dtype), "recvbuff");
    c.run(a);
  });
}

weftResult_t weftBarrier(weftComm_t comm, weftStream_t stream) {
  return guarded(__func__, [&] {
    auto& c = lookup(comm);
    checkHostStream(stream);
    CollArgs a{CollKind::Barrier, nullptr, nullptr, 0, weft::coll::DataType::Uint8};
    c.run(a);
  });
}

}  // extern "C"
