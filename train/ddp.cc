// SPDX-License-Identifier: Apache-2.0
// Bucketed, overlapped gradient averaging over weft's nonblocking all-reduce.
#include "train/ddp.h"

#include <chrono>

#include "train/util.h"

namespace weft::train {

DataParallel::DataParallel(weft::Comm& comm, ParamStore<float>& params, size_t bucketCapBytes)
    : comm_(comm), params_(params) {
  size_t end = params.count();
  while (end > 0) {
    Bucket b;
    b.endParam = end;
    size_t bytes = 0;
    size_t first = end;
    while (first > 0 && (first == end || bytes < bucketCapBytes)) {
      --first;
      bytes += params.entry(first).size * sizeof(float);
    }
    b.firstParam = first;
    b.offset = params.entry(first).offset;
    b.count = params.entry(end - 1).offset + params.entry(end - 1).size - b.offset;
    buckets_.push_back(std::move(b));
    end = first;
  }
}

void DataParallel::broadcastParameters() {
  const auto t0 = std::chrono::steady_clock::now();
  auto& v = params_.values();
  if (comm_.size() > 1) comm_.broadcast(v.data(), v.data(), v.size(), weftFloat32, 0);
  waitSeconds_ += secondsSince(t0);
}

void DataParallel::start(Bucket& b) {
  b.started = true;
  if (comm_.size() == 1 || b.count == 0) return;  // the average over one rank is the gradient
  float* g = params_.grads().data() + b.offset;
  b.work.emplace(comm_.allReduceAsync(g, g, b.count, weftFloat32, weftAvg));
}

void DataParallel::gradientsReady(size_t first) {
  // Buckets run from the last parameters backwards, and collectives start in the same order
  // on every rank.
  for (Bucket& b : buckets_) {
    if (b.started) continue;
    if (b.firstParam < first) break;
    start(b);
  }
}

void DataParallel::finishGradients() {
  for (Bucket& b : buckets_) {
    if (!b.started) start(b);
  }
  const auto t0 = std::chrono::steady_clock::now();
  for (Bucket& b : buckets_) {
    if (b.work) {
      b.work->wait();
      b.work.reset();
    }
    b.started = false;
  }
  waitSeconds_ += secondsSince(t0);
}

}  // namespace weft::train
