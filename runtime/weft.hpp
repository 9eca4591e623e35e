// SPDX-License-Identifier: Apache-2.0
// weft.hpp: C++ RAII classes over weft.h; every failure throws weft::Error with the code and message.
#pragma once

#include <algorithm>
#include <chrono>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft.h"

namespace weft {

class Error : public std::runtime_error {
 public:
  Error(weftResult_t code, const std::string& what) : std::runtime_error(what), code_(code) {}
  weftResult_t code() const noexcept { return code_; }

 private:
  weftResult_t code_;
};

// Throws Error for any result but weftSuccess, with weftGetLastError's message.
inline void check(weftResult_t r) {
  if (r != weftSuccess) {
    throw Error(r, std::string(weftGetErrorString(r)) + ": " + weftGetLastError(nullptr));
  }
}

// The weft datatype of a C++ element type (float -> weftFloat32, ...).
template <class T> constexpr weftDataType_t dataTypeOf();
template <> constexpr weftDataType_t dataTypeOf<int8_t>() { return weftInt8; }
template <> constexpr weftDataType_t dataTypeOf<uint8_t>() { return weftUint8; }
template <> constexpr weftDataType_t dataTypeOf<int32_t>() { return weftInt32; }
template <> constexpr weftDataType_t dataTypeOf<uint32_t>() { return weftUint32; }
template <> constexpr weftDataType_t dataTypeOf<int64_t>() { return weftInt64; }
template <> constexpr weftDataType_t dataTypeOf<uint64_t>() { return weftUint64; }
template <> constexpr weftDataType_t dataTypeOf<float>() { return weftFloat32; }
template <> constexpr weftDataType_t dataTypeOf<double>() { return weftFloat64; }

// A nonblocking call in flight (move-only). Its buffers must stay untouched until it completes;
// the destructor waits for it (and ignores its error: call wait() to see it).
class Work {
 public:
  Work() = default;
  explicit Work(weftRequest_t r) : req_(r) {}
  Work(Work&& o) noexcept : req_(o.req_) { o.req_ = nullptr; }
  Work& operator=(Work&& o) noexcept {
    if (this != &o) {
      reset();
      req_ = o.req_;
      o.req_ = nullptr;
    }
    return *this;
  }
  Work(const Work&) = delete;
  Work& operator=(const Work&) = delete;
  ~Work() { reset(); }

  // Whether the call is done; throws weft::Error if it failed.
  bool isCompleted() {
    if (!req_) return true;
    int done = 0;
    check(weftTest(&req_, &done));
    return done != 0;
  }
  // Waits up to `seconds` (negative: no limit). Returns whether the call completed; throws
  // weft::Error if it failed.
  bool wait(double seconds = -1) {
    if (!req_) return true;
    if (seconds < 0) {
      check(weftWait(&req_));
      return true;
    }
    const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
    auto nap = std::chrono::microseconds(20);
    while (!isCompleted()) {
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(nap);
      nap = std::min(nap * 2, std::chrono::microseconds(1000));
    }
    return true;
  }

 private:
  void reset() noexcept {
    if (req_) weftWait(&req_);
    req_ = nullptr;
  }
  weftRequest_t req_ = nullptr;
};

// weftGroupStart in the constructor; end() runs the group (and throws its error); the destructor
// ends a group that end() did not, ignoring errors.
class Group {
 public:
  Group() { check(weftGroupStart()); }
  Group(const Group&) = delete;
  Group& operator=(const Group&) = delete;
  ~Group() {
    if (open_) weftGroupEnd();
  }
  void end() {
    open_ = false;
    check(weftGroupEnd());
  }

 private:
  bool open_ = true;
};

// Owns memory from weftMemAlloc (move-only): `count` elements of T that peer processes on this
// host can map, so collectives on it take the one-copy path.
template <class T>
class SharedBuffer {
 public:
  SharedBuffer() = default;
  explicit SharedBuffer(size_t count) : count_(count) {
    void* p = nullptr;
    // weftMemAlloc refuses SIZE_MAX; a product that overflowed would allocate too little.
    check(weftMemAlloc(&p, count > SIZE_MAX / sizeof(T) ? SIZE_MAX : count * sizeof(T)));
    data_ = static_cast<T*>(p);
  }
  SharedBuffer(SharedBuffer&& o) noexcept : data_(o.data_), count_(o.count_) { o.data_ = nullptr, o.count_ = 0; }
  SharedBuffer& operator=(SharedBuffer&& o) noexcept {
    std::swap(data_, o.data_);
    std::swap(count_, o.count_);
    return *this;
  }
  ~SharedBuffer() { weftMemFree(data_); }
  T* data() const { return data_; }
  size_t size() const { return count_; }
  T& operator[](size_t i) const { return data_[i]; }

 private:
  T* data_ = nullptr;
  size_t count_ = 0;
};

// Owns a weftComm_t (move-only); destroying it destroys the communicator.
class Comm {
 public:
  Comm() = default;
  explicit Comm(weftComm_t c) : comm_(c) {}
  Comm(Comm&& o) noexcept : comm_(o.comm_) { o.comm_ = nullptr; }
  Comm& operator=(Comm&& o) noexcept {
    if (this != &o) {
      reset();
      comm_ = o.comm_;
      o.comm_ = nullptr;
    }
    return *this;
  }
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;
  ~Comm() { reset(); }

  static Comm fromEnv() {
    weftComm_t c = nullptr;
    check(weftCommInitFromEnv(&c));
    return Comm(c);
  }
  static Comm initRank(int nranks, const weftUniqueId& id, int rank) {
    weftComm_t c = nullptr;
    check(weftCommInitRank(&c, nranks, id, rank));
    return Comm(c);
  }
  // n ranks as threads of this process; drive each from its own thread.
  static std::vector<Comm> initAll(int n) {
    std::vector<weftComm_t> raw(static_cast<size_t>(n));
    check(weftCommInitAll(raw.data(), n, nullptr));
    std::vector<Comm> out;
    for (auto c : raw) out.emplace_back(c);
    return out;
  }
  static weftUniqueId uniqueId() {
    weftUniqueId id;
    check(weftGetUniqueId(&id));
    return id;
  }

  // A rank passing a negative color gets an empty Comm (get() == nullptr).
  Comm split(int color, int key) const {
    weftComm_t c = nullptr;
    check(weftCommSplit(comm_, color, key, &c));
    return Comm(c);
  }

  // The ranks known to have failed (their process exited).
  std::vector<int> failedRanks() const {
    int n = 0;
    check(weftCommGetFailedRanks(comm_, nullptr, 0, &n));
    std::vector<int> out(static_cast<size_t>(n));
    check(weftCommGetFailedRanks(comm_, out.data(), n, &n));
    out.resize(std::min(out.size(), static_cast<size_t>(n)));
    return out;
  }

  // The ranks not in `excluded` (each passes the same list) form a new communicator.
  Comm shrink(const std::vector<int>& excluded, int flags = WEFT_SHRINK_DEFAULT) const {
    weftComm_t c = nullptr;
    check(weftCommShrink(comm_, excluded.data(), int(excluded.size()), &c, flags));
    return Comm(c);
  }

  int rank() const {
    int r = 0;
    check(weftCommUserRank(comm_, &r));
    return r;
  }
  int size() const {
    int n = 0;
    check(weftCommCount(comm_, &n));
    return n;
  }
  weftComm_t get() const { return comm_; }

  // The collectives. `stream`: NULL for host buffers, or the cudaStream_t of device buffers, on
  // which the call is ordered and returns at once (docs/api.md, "Device buffers and streams").
  void allReduce(const void* send, void* recv, size_t count, weftDataType_t type, weftRedOp_t op, weftStream_t stream = nullptr) {
    check(weftAllReduce(send, recv, count, type, op, comm_, stream));
  }
  template <class T>
  void allReduce(std::span<T> data, weftRedOp_t op) {  // in place
    allReduce(data.data(), data.data(), data.size(), dataTypeOf<std::remove_const_t<T>>(), op);
  }
  void broadcast(const void* send, void* recv, size_t count, weftDataType_t type, int root, weftStream_t stream = nullptr) {
    check(weftBroadcast(send, recv, count, type, root, comm_, stream));
  }
  template <class T>
  void broadcast(std::span<T> data, int root) {  // in place
    broadcast(data.data(), data.data(), data.size(), dataTypeOf<std::remove_const_t<T>>(), root);
  }
  void reduce(const void* send, void* recv, size_t count, weftDataType_t type, weftRedOp_t op, int root, weftStream_t stream = nullptr) {
    check(weftReduce(send, recv, count, type, op, root, comm_, stream));
  }
  void allGather(const void* send, void* recv, size_t sendcount, weftDataType_t type, weftStream_t stream = nullptr) {
    check(weftAllGather(send, recv, sendcount, type, comm_, stream));
  }
  void reduceScatter(const void* send, void* recv, size_t recvcount, weftDataType_t type, weftRedOp_t op, weftStream_t stream = nullptr) {
    check(weftReduceScatter(send, recv, recvcount, type, op, comm_, stream));
  }
  void allToAll(const void* send, void* recv, size_t count, weftDataType_t type, weftStream_t stream = nullptr) {
    check(weftAllToAll(send, recv, count, type, comm_, stream));
  }
  void scatter(const void* send, void* recv, size_t count, weftDataType_t type, int root, weftStream_t stream = nullptr) {
    check(weftScatter(send, recv, count, type, root, comm_, stream));
  }
  void gather(const void* send, void* recv, size_t count, weftDataType_t type, int root, weftStream_t stream = nullptr) {
    check(weftGather(send, recv, count, type, root, comm_, stream));
  }
  void send(const void* buf, size_t count, weftDataType_t type, int peer, weftStream_t stream = nullptr) {
    check(weftSend(buf, count, type, peer, comm_, stream));
  }
  void recv(void* buf, size_t count, weftDataType_t type, int peer, weftStream_t stream = nullptr) {
    check(weftRecv(buf, count, type, peer, comm_, stream));
  }
  void barrier(weftStream_t stream = nullptr) { check(weftBarrier(comm_, stream)); }

  // Nonblocking forms (weft*Async): run on the communicator's progress thread, in call order.
  Work allReduceAsync(const void* send, void* recv, size_t count, weftDataType_t type, weftRedOp_t op, weftStream_t stream = nullptr) {
    return started(weftAllReduceAsync(send, recv, count, type, op, comm_, stream, &pending_));
  }
  Work broadcastAsync(const void* send, void* recv, size_t count, weftDataType_t type, int root, weftStream_t stream = nullptr) {
    return started(weftBroadcastAsync(send, recv, count, type, root, comm_, stream, &pending_));
  }
  Work reduceAsync(const void* send, void* recv, size_t count, weftDataType_t type, weftRedOp_t op, int root, weftStream_t stream = nullptr) {
    return started(weftReduceAsync(send, recv, count, type, op, root, comm_, stream, &pending_));
  }
  Work allGatherAsync(const void* send, void* recv, size_t sendcount, weftDataType_t type, weftStream_t stream = nullptr) {
    return started(weftAllGatherAsync(send, recv, sendcount, type, comm_, stream, &pending_));
  }
  Work reduceScatterAsync(const void* send, void* recv, size_t recvcount, weftDataType_t type, weftRedOp_t op, weftStream_t stream = nullptr) {
    return started(weftReduceScatterAsync(send, recv, recvcount, type, op, comm_, stream, &pending_));
  }
  Work allToAllAsync(const void* send, void* recv, size_t count, weftDataType_t type, weftStream_t stream = nullptr) {
    return started(weftAllToAllAsync(send, recv, count, type, comm_, stream, &pending_));
  }
  Work scatterAsync(const void* send, void* recv, size_t count, weftDataType_t type, int root, weftStream_t stream = nullptr) {
    return started(weftScatterAsync(send, recv, count, type, root, comm_, stream, &pending_));
  }
  Work gatherAsync(const void* send, void* recv, size_t count, weftDataType_t type, int root, weftStream_t stream = nullptr) {
    return started(weftGatherAsync(send, recv, count, type, root, comm_, stream, &pending_));
  }
  Work sendAsync(const void* buf, size_t count, weftDataType_t type, int peer, weftStream_t stream = nullptr) {
    return started(weftSendAsync(buf, count, type, peer, comm_, stream, &pending_));
  }
  Work recvAsync(void* buf, size_t count, weftDataType_t type, int peer, weftStream_t stream = nullptr) {
    return started(weftRecvAsync(buf, count, type, peer, comm_, stream, &pending_));
  }
  Work barrierAsync(weftStream_t stream = nullptr) { return started(weftBarrierAsync(comm_, stream, &pending_)); }
  // weftCommAbort: ends the communicator without waiting for its peers (from any thread; calls
  // in progress on it fail); the object is empty afterwards.
  void abort() noexcept {
    if (comm_) weftCommAbort(comm_);
    comm_ = nullptr;
  }

 private:
  void reset() noexcept {
    if (comm_) weftCommDestroy(comm_);
    comm_ = nullptr;
  }
  Work started(weftResult_t r) {
    check(r);
    Work w(pending_);
    pending_ = nullptr;
    return w;
  }
  weftComm_t comm_ = nullptr;
  weftRequest_t pending_ = nullptr;  // out-parameter of the last *Async call
};

}  // namespace weft
