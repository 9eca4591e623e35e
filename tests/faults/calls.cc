// SPDX-License-Identifier: Apache-2.0
// Drawing the fault trials' calls, running them, and checking what they yield against closed forms.
#include "tests/faults/calls.h"

#include <algorithm>
#include <functional>

namespace weft::faults {
namespace {

const weftStream_t kNoStream = nullptr;  // host buffers

const char* kindName(Kind k) {
  static const char* const kNames[] = {"allreduce", "broadcast", "reduce",  "allgather", "reducescatter",
                                       "alltoall",  "scatter",   "gather",  "sendrecv",  "barrier"};
  return kNames[int(k)];
}

// Element k of rank r's input to call `index`: small integers, exact in float32 even summed
// over 8 ranks, and different from call to call so that stale data shows.
template <class T>
T value(int r, uint64_t index, size_t k) {
  return T((uint64_t(r) * 31 + index * 7 + k) % 61 + 1);
}

// The blocking call, or its nonblocking twin (the same arguments and a request) waited for.
template <class Blocking, class Async, class... A>
weftResult_t issue(bool async, Blocking blocking, Async nonblocking, A... args) {
  if (!async) return blocking(args...);
  weftRequest_t request = nullptr;
  const weftResult_t r = nonblocking(args..., &request);
  return r == weftSuccess ? weftWait(&request) : r;
}

template <class T>
weftResult_t runTyped(const Call& c, int rank, int n, weftComm_t comm, std::string* wrong) {
  const size_t cnt = c.count, all = size_t(n) * cnt;
  auto v = [&](int r, size_t k) { return value<T>(r, c.index, k); };
  auto reduced = [&](size_t k) {
    T acc = v(0, k);
    for (int r = 1; r < n; ++r) acc = c.op == weftSum ? T(acc + v(r, k)) : std::max(acc, v(r, k));
    return acc;
  };
  std::vector<T> in, out;
  std::function<T(size_t)> want;  // out[k] on success; unset where this rank gets no output
  auto shape = [&](size_t inCount, size_t outCount) {
    in.resize(inCount);
    for (size_t k = 0; k < inCount; ++k) in[k] = v(rank, k);
    out.assign(outCount, T(-7));  // a value no call produces
  };
  const weftDataType_t t = c.dtype;
  weftResult_t r = weftSuccess;
  switch (c.kind) {
    case Kind::AllReduce:
      shape(cnt, cnt), want = reduced;
      r = issue(c.async, weftAllReduce, weftAllReduceAsync, in.data(), out.data(), cnt, t, c.op, comm, kNoStream);
      break;
    case Kind::Broadcast:
      shape(cnt, cnt), want = [&](size_t k) { return v(c.root, k); };
      r = issue(c.async, weftBroadcast, weftBroadcastAsync, in.data(), out.data(), cnt, t, c.root, comm, kNoStream);
      break;
    case Kind::Reduce:
      shape(cnt, cnt);
      if (rank == c.root) want = reduced;
      r = issue(c.async, weftReduce, weftReduceAsync, in.data(), out.data(), cnt, t, c.op, c.root, comm, kNoStream);
      break;
    case Kind::AllGather:
      shape(cnt, all), want = [&](size_t k) { return v(int(k / cnt), k % cnt); };
      r = issue(c.async, weftAllGather, weftAllGatherAsync, in.data(), out.data(), cnt, t, comm, kNoStream);
      break;
    case Kind::ReduceScatter:
      shape(all, cnt), want = [&](size_t k) { return reduced(size_t(rank) * cnt + k); };
      r = issue(c.async, weftReduceScatter, weftReduceScatterAsync, in.data(), out.data(), cnt, t, c.op, comm,
                kNoStream);
      break;
    case Kind::AllToAll:
      shape(all, all), want = [&](size_t k) { return v(int(k / cnt), size_t(rank) * cnt + k % cnt); };
      r = issue(c.async, weftAllToAll, weftAllToAllAsync, in.data(), out.data(), cnt, t, comm, kNoStream);
      break;
    case Kind::Scatter:
      shape(all, cnt), want = [&](size_t k) { return v(c.root, size_t(rank) * cnt + k); };
      r = issue(c.async, weftScatter, weftScatterAsync, in.data(), out.data(), cnt, t, c.root, comm, kNoStream);
      break;
    case Kind::Gather:
      shape(cnt, all);
      if (rank == c.root) want = [&](size_t k) { return v(int(k / cnt), k % cnt); };
      r = issue(c.async, weftGather, weftGatherAsync, in.data(), out.data(), cnt, t, c.root, comm, kNoStream);
      break;
    case Kind::SendRecv:
      shape(cnt, cnt);
      if (rank == c.root) r = issue(c.async, weftSend, weftSendAsync, in.data(), cnt, t, c.peer, comm, kNoStream);
      if (rank == c.peer) {
        want = [&](size_t k) { return v(c.root, k); };
        r = issue(c.async, weftRecv, weftRecvAsync, out.data(), cnt, t, c.root, comm, kNoStream);
      }
      break;
    case Kind::Barrier:
      r = issue(c.async, weftBarrier, weftBarrierAsync, comm, kNoStream);
      break;
  }
  if (r != weftSuccess || !want) return r;
  for (size_t k = 0; k < out.size(); ++k) {
    if (out[k] != want(k)) {
      *wrong = "element " + std::to_string(k) + " is " + std::to_string(double(out[k])) + ", want " +
               std::to_string(double(want(k)));
      break;
    }
  }
  return r;
}

}  // namespace

Call CallSequence::next() {
  Call c;
  c.index = index_++;
  c.kind = Kind(rng_() % 10);
  const int log = int(rng_() % uint64_t(maxLog_ + 1));
  c.count = rng_() % 16 == 0 ? 0 : size_t(1) << log | size_t(rng_() % (size_t(1) << log));
  c.dtype = rng_() % 2 ? weftInt32 : weftFloat32;
  c.op = rng_() % 2 ? weftSum : weftMax;
  c.root = int(rng_() % uint64_t(nranks_));
  c.peer = (c.root + 1 + int(rng_() % uint64_t(std::max(1, nranks_ - 1)))) % nranks_;
  c.async = rng_() % 4 == 0;
  return c;
}

std::string describe(const Call& c) {
  std::string s = std::string(kindName(c.kind)) + (c.async ? " async" : "") + " #" + std::to_string(c.index);
  if (c.kind == Kind::Barrier) return s;
  s += " (count=" + std::to_string(c.count) + (c.dtype == weftInt32 ? ", int32" : ", float32");
  if (c.kind == Kind::AllReduce || c.kind == Kind::Reduce || c.kind == Kind::ReduceScatter) {
    s += c.op == weftSum ? ", sum" : ", max";
  }
  if (c.kind == Kind::Broadcast || c.kind == Kind::Reduce || c.kind == Kind::Scatter || c.kind == Kind::Gather) {
    s += ", root=" + std::to_string(c.root);
  }
  if (c.kind == Kind::SendRecv) s += ", from " + std::to_string(c.root) + " to " + std::to_string(c.peer);
  return s + ")";
}

weftResult_t runCall(const Call& c, int rank, int nranks, weftComm_t comm, std::string* wrong) {
  return c.dtype == weftInt32 ? runTyped<int32_t>(c, rank, nranks, comm, wrong)
                              : runTyped<float>(c, rank, nranks, comm, wrong);
}

}  // namespace weft::faults
