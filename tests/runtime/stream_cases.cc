// SPDX-License-Identifier: Apache-2.0
#include "tests/runtime/stream_cases.h"

namespace weft::test {

bool hasInPlace(Kind k) {
  return k != Kind::AllToAll && k != Kind::SendRecv && k != Kind::Barrier;
}

Layout layout(Kind k, int rank, int n, size_t count, bool inPlace) {
  const size_t all = count * size_t(n);
  const bool root = rank == rootOf(n);
  Layout l;
  switch (k) {
    case Kind::AllReduce: l.inElems = l.outElems = count; break;
    case Kind::Broadcast: l.inElems = root ? count : 0, l.outElems = count; break;
    case Kind::Reduce: l.inElems = count, l.outElems = root ? count : 0; break;
    case Kind::AllGather:
      l.inElems = count, l.outElems = all;
      if (inPlace) l.sendAt = count * size_t(rank);
      break;
    case Kind::ReduceScatter:
      l.inElems = all, l.outElems = count;
      if (inPlace) l.recvAt = count * size_t(rank);
      break;
    case Kind::AllToAll: l.inElems = l.outElems = all; break;
    case Kind::Scatter:
      l.inElems = root ? all : 0, l.outElems = count;
      if (inPlace && root) l.recvAt = count * size_t(rank);
      break;
    case Kind::Gather:
      l.inElems = count, l.outElems = root ? all : 0;
      if (inPlace && root) l.sendAt = count * size_t(rank);
      break;
    case Kind::SendRecv: l.inElems = l.outElems = count; break;
    case Kind::Barrier: break;
  }
  return l;
}

weftResult_t issue(Kind k, weftComm_t comm, void* send, void* recv, size_t count, int n, int rank, void* stream) {
  const int root = rootOf(n);
  switch (k) {
    case Kind::AllReduce: return weftAllReduce(send, recv, count, weftInt32, weftSum, comm, stream);
    case Kind::Broadcast: return weftBroadcast(send, recv, count, weftInt32, root, comm, stream);
    case Kind::Reduce: return weftReduce(send, recv, count, weftInt32, weftSum, root, comm, stream);
    case Kind::AllGather: return weftAllGather(send, recv, count, weftInt32, comm, stream);
    case Kind::ReduceScatter: return weftReduceScatter(send, recv, count, weftInt32, weftSum, comm, stream);
    case Kind::AllToAll: return weftAllToAll(send, recv, count, weftInt32, comm, stream);
    case Kind::Scatter: return weftScatter(send, recv, count, weftInt32, root, comm, stream);
    case Kind::Gather: return weftGather(send, recv, count, weftInt32, root, comm, stream);
    case Kind::SendRecv: {
      weftResult_t r = weftGroupStart();
      if (r == weftSuccess) r = weftSend(send, count, weftInt32, (rank + 1) % n, comm, stream);
      if (r == weftSuccess) r = weftRecv(recv, count, weftInt32, (rank + n - 1) % n, comm, stream);
      const weftResult_t end = weftGroupEnd();
      return r != weftSuccess ? r : end;
    }
    case Kind::Barrier: return weftBarrier(comm, stream);
  }
  return weftInternalError;
}

namespace {

int64_t sumOver(int n, size_t j) {
  int64_t s = 0;
  for (int q = 0; q < n; ++q) s += value(q, j);
  return s;
}

// Element i of rank `rank`'s output.
int64_t expected(Kind k, int rank, int n, size_t count, size_t i) {
  const int root = rootOf(n);
  const size_t b = count == 0 ? 0 : i / count, e = count == 0 ? 0 : i % count;
  switch (k) {
    case Kind::AllReduce: return sumOver(n, i);
    case Kind::Broadcast: return value(root, i);
    case Kind::Reduce: return sumOver(n, i);
    case Kind::AllGather: return value(int(b), e);
    case Kind::ReduceScatter: return sumOver(n, size_t(rank) * count + i);
    case Kind::AllToAll: return value(int(b), size_t(rank) * count + e);
    case Kind::Scatter: return value(root, size_t(rank) * count + i);
    case Kind::Gather: return value(int(b), e);
    case Kind::SendRecv: return value((rank + n - 1) % n, i);
    case Kind::Barrier: return 0;
  }
  return 0;
}

}  // namespace

std::string firstWrong(Kind k, int rank, int n, size_t count, const std::vector<int32_t>& got) {
  for (size_t i = 0; i < got.size(); ++i) {
    const int64_t want = expected(k, rank, n, count, i);
    if (got[i] != want) {
      return "element " + std::to_string(i) + " is " + std::to_string(got[i]) + ", not " + std::to_string(want);
    }
  }
  return "";
}

std::string describe(Kind k, bool inPlace, size_t count) {
  static const char* const names[] = {"allreduce", "broadcast", "reduce", "allgather", "reducescatter",
                                      "alltoall", "scatter", "gather", "sendrecv", "barrier"};
  return std::string(names[int(k)]) + (inPlace ? " in place" : "") + ", count " + std::to_string(count);
}

}  // namespace weft::test
