// SPDX-License-Identifier: Apache-2.0
// One rank's sweep: for every type, op, root and size, time the collective out of place and in place, check it, and print (rank 0).
#include "bench/common/runner.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/common/bandwidth.h"
#include "bench/common/dtype.h"
#include "bench/common/table.h"
#include "bench/common/timing.h"
#include "bench/common/weft_call.h"

namespace weft::bench {
namespace {

struct FreeDeleter {
  void operator()(std::byte* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<std::byte[], FreeDeleter>;

// A page-aligned buffer, written once so that no timed call pays for first-touch page faults.
Buffer allocateTouched(size_t bytes) {
  constexpr size_t kAlign = 4096;
  const size_t rounded = (std::max<size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
  Buffer buffer(static_cast<std::byte*>(std::aligned_alloc(kAlign, rounded)));
  if (!buffer) throw std::bad_alloc();
  std::memset(buffer.get(), 0, rounded);
  return buffer;
}

class RankRunner {
 public:
  RankRunner(const Options& options, const Collective& collective, weftComm_t comm)
      : options_(options), coll_(collective), comm_(comm) {
    checkWeft(weftCommUserRank(comm_, &rank_), comm_, "weftCommUserRank");
    checkWeft(weftCommCount(comm_, &nranks_), comm_, "weftCommCount");
    // Every size rounds down, so maxBytes bounds every buffer.
    send_ = allocateTouched(options_.maxBytes);
    recv_ = allocateTouched(options_.maxBytes);
    if (options_.check > 0) expected_ = allocateTouched(options_.maxBytes);
  }

  int64_t run() {
    printPreamble();
    const std::vector<size_t> sizes = sizeSequence(options_);
    const std::vector<weftRedOp_t> ops =
        coll_.hasOp() ? options_.ops : std::vector<weftRedOp_t>{weftSum};
    std::vector<int> roots = {-1};
    if (coll_.hasRoot()) {
      roots = {options_.root};
      if (options_.root == kAllRoots) {
        roots.clear();
        for (int r = 0; r < nranks_; ++r) roots.push_back(r);
      }
    }
    for (weftDataType_t type : options_.types) {
      for (weftRedOp_t op : ops) {
        for (int root : roots) timeTest(sizes, type, op, root);
      }
    }
    const int64_t outOfBounds = sumOverRanks(checksFailed_);
    print(footerLines(outOfBounds, bwCount_ > 0 ? bwSum_ / bwCount_ : 0.0));
    return outOfBounds;
  }

 private:
  // Who I am and what each of the others is, gathered with one all-reduce: each rank writes its
  // line into its own slot of a zeroed buffer, so a byte-wise sum is a gather.
  void printPreamble() {
    print(parameterLine(options_));
    if (options_.blocking) print("# Blocking Enabled: a barrier after every operation\n");
    print("#\n# Using devices\n");
    constexpr size_t kSlot = 256;
    std::vector<char> lines(kSlot * static_cast<size_t>(nranks_), '\0');
    char host[128] = {};
    ::gethostname(host, sizeof host - 1);
    const std::string mine = deviceLine(rank_, static_cast<long>(::getpid()), host);
    std::memcpy(&lines[kSlot * rank_], mine.data(), std::min(mine.size(), kSlot - 1));
    checkWeft(weftAllReduce(lines.data(), lines.data(), lines.size(), weftUint8, weftSum, comm_,
                            nullptr),
              comm_, "weftAllReduce (gathering the device list)");
    for (int r = 0; r < nranks_; ++r) print(std::string(&lines[kSlot * r]));
    print("#\n" + headerLines());
  }

  // nccl-tests' TimeTest: warm up at the largest and the smallest size, then one row per size.
  void timeTest(const std::vector<size_t>& sizes, weftDataType_t type, weftRedOp_t op, int root) {
    barrier();
    const size_t element = elementSize(type);
    for (size_t bytes : {options_.maxBytes, options_.minBytes}) {
      const size_t count = coll_.countFor(bytes, element, nranks_);
      for (int i = 0; i < options_.warmupIters; ++i) call(count, type, op, root, false, i);
    }
    for (size_t size : sizes) {
      const size_t count = coll_.countFor(size, element, nranks_);
      std::string row = rowPrefix(count * element, count, typeName(type),
                                  coll_.hasOp() ? opName(op) : "none", coll_.hasRoot() ? root : -1);
      row += measure(count, type, op, root, false);
      row += measure(count, type, op, root, true);
      print(row + "\n");
    }
  }

  // nccl-tests' BenchTime: one call to synchronize, the timed loop, then the checked runs.
  std::string measure(size_t count, weftDataType_t type, weftRedOp_t op, int root, bool inPlace) {
    if (options_.check > 0) prepare(count, type, op, root, inPlace, checkSeed_);
    call(count, type, op, root, inPlace, 0);
    barrier();
    Stopwatch watch;
    for (int iter = 0; iter < options_.iters; ++iter) {
      for (int agg = 0; agg < options_.aggIters; ++agg) {
        call(count, type, op, root, inPlace, iter * options_.aggIters + agg);
      }
    }
    const double seconds = combineTime(watch.seconds() / (double(options_.iters) * options_.aggIters));
    const double algbw = algBandwidth(count * elementSize(type), seconds);
    const double busbw = algbw * coll_.busBwFactor(nranks_);
    barrier();

    std::optional<int64_t> wrong;
    for (int c = 0; c < options_.check; ++c) {
      prepare(count, type, op, root, inPlace, ++checkSeed_);
      call(count, type, op, root, inPlace, 0);
      const int64_t mine = countMine(count, type, op, inPlace);
      if (mine != 0) ++checksFailed_;
      wrong = sumOverRanks(mine);
      if (*wrong != 0) break;
    }
    bwSum_ += busbw;
    ++bwCount_;
    return resultCell(seconds * 1.0e6, algbw, busbw, wrong);
  }

  // Zeroes the receive buffer, writes this rank's input and the expected result.
  void prepare(size_t count, weftDataType_t type, weftRedOp_t op, int root, bool inPlace,
               uint64_t seed) {
    const CheckSpec spec{.type = type, .op = op, .nranks = nranks_, .seed = seed};
    std::memset(recv_.get(), 0, count * elementSize(type));
    coll_.fillInput(spec, rank_, root, inPlace ? recv_.get() : send_.get(), count);
    coll_.fillExpected(spec, root, expected_.get(), count);
  }

  int64_t countMine(size_t count, weftDataType_t type, weftRedOp_t op, bool inPlace) {
    size_t first = 0;
    const size_t wrong = countWrong(type, recv_.get(), expected_.get(), count, &first);
    if (wrong != 0) {
      std::fprintf(stderr,
                   "# rank %d: %s %s %s %s: %zu of %zu elements wrong; first at [%zu]: expected "
                   "%.17Lg, got %.17Lg\n",
                   rank_, std::string(coll_.name()).c_str(), std::string(typeName(type)).c_str(),
                   coll_.hasOp() ? std::string(opName(op)).c_str() : "",
                   inPlace ? "in-place" : "out-of-place", wrong, count, first,
                   elementValue(type, expected_.get(), first), elementValue(type, recv_.get(), first));
    }
    return static_cast<int64_t>(wrong);
  }

  // One operation. Successive iterations walk through the buffers (nccl-tests does the same) so
  // that a size much smaller than -e is not always served from the same cache lines.
  void call(size_t count, weftDataType_t type, weftRedOp_t op, int root, bool inPlace, int iter) {
    const size_t bytes = count * elementSize(type);
    const size_t slots = bytes == 0 ? 1 : options_.maxBytes / bytes;
    const size_t shift = bytes * (static_cast<size_t>(iter) % slots);
    std::byte* recv = recv_.get() + shift;
    const std::byte* send = inPlace ? recv : send_.get() + shift;
    const CallArgs args{.send = send, .recv = recv, .count = count, .type = type, .op = op,
                        .root = root};
    checkWeft(coll_.run(args, comm_), comm_, "weft" + std::string(coll_.name()));
    if (options_.blocking) barrier();
  }

  void barrier() {
    token_ = 0;  // a sum of zeros: nothing grows or overflows however often it runs
    checkWeft(weftAllReduce(&token_, &token_, 1, weftInt32, weftSum, comm_, nullptr), comm_,
              "weftAllReduce (barrier)");
  }

  // -a: the time of rank 0, or the mean, min or max over ranks; every rank gets the result.
  double combineTime(double seconds) {
    double value = seconds;
    if (options_.average == Average::Rank0) {
      checkWeft(weftBroadcast(&value, &value, 1, weftFloat64, 0, comm_, nullptr), comm_,
                "weftBroadcast (time of rank 0)");
      return value;
    }
    const weftRedOp_t op = options_.average == Average::Min   ? weftMin
                           : options_.average == Average::Max ? weftMax
                                                              : weftSum;
    checkWeft(weftAllReduce(&value, &value, 1, weftFloat64, op, comm_, nullptr), comm_,
              "weftAllReduce (combining times)");
    return options_.average == Average::Mean ? value / nranks_ : value;
  }

  int64_t sumOverRanks(int64_t value) {
    checkWeft(weftAllReduce(&value, &value, 1, weftInt64, weftSum, comm_, nullptr), comm_,
              "weftAllReduce (summing counts)");
    return value;
  }

  void print(const std::string& text) const {
    if (rank_ != 0) return;
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  }

  const Options& options_;
  const Collective& coll_;
  weftComm_t comm_;
  int rank_ = 0;
  int nranks_ = 1;
  Buffer send_, recv_, expected_;
  uint64_t checkSeed_ = 0;  // the same sequence on every rank, so inputs agree
  int64_t checksFailed_ = 0;
  double bwSum_ = 0.0;
  int bwCount_ = 0;
  int32_t token_ = 0;
};

}  // namespace

int64_t runRank(const Options& options, const Collective& collective, weftComm_t comm) {
  return RankRunner(options, collective, comm).run();
}

}  // namespace weft::bench
