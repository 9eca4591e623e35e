// SPDX-License-Identifier: Apache-2.0
// Every collective on real device buffers and CUDA streams (Note [Stream-ordered calls]): 1 to 4
// thread ranks sharing device 0, awkward counts, in place and not. Each rank's stream runs a host
// function that sleeps, then writes the input into pinned memory, a copy of it to the device, the
// weft call, and a copy of the output back; the host synchronizes only at the end, so a call that
// read its input before the stream wrote it, or let the stream read its output early, fails.
// Without a GPU (or driver) it exits 77: skipped. tools/gpu-check runs it.
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runtime/weft.h"
#include "tests/runtime/stream_cases.h"

using namespace weft::test;

namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string(what) + ": " + cudaGetErrorString(e));
}

// What the host function writes: `n` elements of rank `rank`'s input, after a nap.
struct Fill {
  int32_t* pinned;
  size_t n;
  int rank;
};
void CUDART_CB slowFill(void* arg) {
  auto* f = static_cast<Fill*>(arg);
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (size_t j = 0; j < f->n; ++j) f->pinned[j] = value(f->rank, j);
}

struct Call {
  Kind kind;
  bool inPlace;
  Layout l;
  void* dev = nullptr;      // one allocation: send at l.sendAt, recv at l.recvAt (in place) or after
  int32_t* pinnedIn = nullptr;
  int32_t* pinnedOut = nullptr;
  Fill fill{};
};

// One rank's sweep at one count; returns its wrong outputs.
std::vector<std::string> runRank(weftComm_t comm, int rank, int n, size_t count) {
  check(cudaSetDevice(0), "cudaSetDevice");
  cudaStream_t stream = nullptr;
  check(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking), "cudaStreamCreate");
  std::vector<Call> calls;
  for (Kind kind : kKinds) {
    for (bool inPlace : {false, true}) {
      if ((inPlace && !hasInPlace(kind)) || (kind == Kind::SendRecv && n == 1)) continue;
      calls.push_back(Call{kind, inPlace, layout(kind, rank, n, count, inPlace)});
    }
  }
  std::vector<std::string> wrong;
  for (Call& c : calls) {  // the vector no longer moves: host functions may point into it
    const Layout& l = c.l;
    const size_t sendAt = c.inPlace ? l.sendAt : 0;
    const size_t recvAt = c.inPlace ? l.recvAt : l.inElems;
    const size_t total = std::max(sendAt + l.inElems, recvAt + l.outElems) + 1;
    check(cudaMalloc(&c.dev, total * 4), "cudaMalloc");
    check(cudaMemset(c.dev, 0xff, total * 4), "cudaMemset");
    check(cudaMallocHost(reinterpret_cast<void**>(&c.pinnedIn), (l.inElems + 1) * 4), "cudaMallocHost");
    check(cudaMallocHost(reinterpret_cast<void**>(&c.pinnedOut), (l.outElems + 1) * 4), "cudaMallocHost");
    auto* send = static_cast<int32_t*>(c.dev) + sendAt;
    auto* recv = static_cast<int32_t*>(c.dev) + recvAt;
    c.fill = Fill{c.pinnedIn, l.inElems, rank};
    check(cudaLaunchHostFunc(stream, slowFill, &c.fill), "cudaLaunchHostFunc");
    if (l.inElems > 0) check(cudaMemcpyAsync(send, c.pinnedIn, l.inElems * 4, cudaMemcpyHostToDevice, stream), "copy in");
    if (issue(c.kind, comm, send, recv, count, n, rank, stream) != weftSuccess) {
      throw std::runtime_error(describe(c.kind, c.inPlace, count) + ": " + weftGetLastError(comm));
    }
    if (l.outElems > 0) check(cudaMemcpyAsync(c.pinnedOut, recv, l.outElems * 4, cudaMemcpyDeviceToHost, stream), "copy out");
  }
  check(cudaStreamSynchronize(stream), "cudaStreamSynchronize");
  for (Call& c : calls) {
    const std::string bad = firstWrong(c.kind, rank, n, count, std::vector<int32_t>(c.pinnedOut, c.pinnedOut + c.l.outElems));
    if (!bad.empty()) wrong.push_back("rank " + std::to_string(rank) + " of " + std::to_string(n) + ", " + describe(c.kind, c.inPlace, count) + ": " + bad);
    cudaFree(c.dev);
    cudaFreeHost(c.pinnedIn);
    cudaFreeHost(c.pinnedOut);
  }
  cudaStreamDestroy(stream);
  return wrong;
}

}  // namespace

int main() {
  int devices = 0;
  const cudaError_t probe = cudaGetDeviceCount(&devices);
  if (probe != cudaSuccess || devices == 0) {
    std::printf("cuda_stream_test: skipped, no usable GPU (%s)\n",
                probe != cudaSuccess ? cudaGetErrorString(probe) : "no device");
    return 77;
  }
  int failures = 0;
  for (int n : {1, 2, 3, 4}) {
    std::vector<weftComm_t> comms(static_cast<size_t>(n));
    if (weftCommInitAll(comms.data(), n, nullptr) != weftSuccess) {
      std::printf("weftCommInitAll: %s\n", weftGetLastError(nullptr));
      return 1;
    }
    for (size_t count : {size_t(0), size_t(1), size_t(7), size_t(1031), size_t(1) << 20}) {
      std::vector<std::vector<std::string>> wrong(static_cast<size_t>(n));
      std::vector<std::string> errors(static_cast<size_t>(n));
      std::vector<std::thread> threads;
      for (int r = 0; r < n; ++r) {
        threads.emplace_back([&, r] {
          try {
            wrong[size_t(r)] = runRank(comms[size_t(r)], r, n, count);
          } catch (const std::exception& e) {
            errors[size_t(r)] = e.what();
          }
        });
      }
      for (auto& t : threads) t.join();
      for (int r = 0; r < n; ++r) {
        if (!errors[size_t(r)].empty()) std::printf("FAIL rank %d of %d, count %zu: %s\n", r, n, count, errors[size_t(r)].c_str());
        for (const auto& w : wrong[size_t(r)]) std::printf("FAIL %s\n", w.c_str());
        failures += int(!errors[size_t(r)].empty()) + int(wrong[size_t(r)].size());
      }
    }
    for (weftComm_t c : comms) weftCommDestroy(c);
  }
  std::printf("cuda_stream_test: %s (%d wrong)\n", failures == 0 ? "passed" : "FAILED", failures);
  return failures == 0 ? 0 : 1;
}
