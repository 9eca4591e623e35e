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
#include <system_error>
#include <vector>

#include "bench/common/bandwidth.h"
#include "bench/common/device.h"
#include "bench/common/dtype.h"
#include "bench/common/layout.h"
#include "bench/common/output_file.h"
#include "bench/common/report.h"
#include "bench/common/stats.h"
#include "bench/common/table.h"
#include "bench/common/timing.h"
#include "bench/common/weft_call.h"

namespace weft::bench {
namespace {

enum class Kind { Heap, Shared, Device };  // aligned_alloc, weftMemAlloc, cudaMalloc
struct FreeDeleter {
  Kind kind = Kind::Heap;
  void operator()(std::byte* p) const {
    switch (kind) {
      case Kind::Heap: std::free(p); break;
      case Kind::Shared: weftMemFree(p); break;
      case Kind::Device: cuda::free(p); break;
    }
  }
};
using Buffer = std::unique_ptr<std::byte[], FreeDeleter>;

// A page-aligned buffer (from weftMemAlloc when `shared`), written once so that no timed call
// pays for first-touch page faults.
Buffer allocateTouched(size_t bytes, bool shared = false) {
  constexpr size_t kAlign = 4096;
  const size_t rounded = (std::max<size_t>(bytes, 1) + kAlign - 1) / kAlign * kAlign;
  void* p = nullptr;
  if (shared) {
    if (weftMemAlloc(&p, rounded) != weftSuccess) throw std::bad_alloc();
  } else {
    p = std::aligned_alloc(kAlign, rounded);
  }
  Buffer buffer(static_cast<std::byte*>(p), FreeDeleter{shared ? Kind::Shared : Kind::Heap});
  if (!buffer) throw std::bad_alloc();
  std::memset(buffer.get(), 0, rounded);
  return buffer;
}

// --mem cuda: device memory, zeroed (cudaMemset), so no timed call pays for first use either.
Buffer allocateDevice(size_t bytes) {
  return Buffer(static_cast<std::byte*>(cuda::alloc(std::max<size_t>(bytes, 1))), FreeDeleter{Kind::Device});
}

class RankRunner {
 public:
  RankRunner(const Options& options, const Collective& collective, Backend& backend)
      : options_(options), coll_(collective), backend_(backend), rank_(backend.rank()), nranks_(backend.size()),
        device_(options.memory == Memory::Cuda) {
    // Every size rounds down, so maxBytes bounds every buffer.
    if (device_) {
      // The timed calls run on device buffers and a stream; checks fill and read them through
      // host copies (hostSend_, hostRecv_) at the same offsets.
      deviceName_ = cuda::useDevice(localIndex());  // per thread: -t ranks each make theirs current
      stream_ = cuda::createStream();
      send_ = allocateDevice(options_.maxBytes);
      recv_ = allocateDevice(options_.maxBytes);
      if (options_.check > 0) {
        hostSend_ = allocateTouched(options_.maxBytes);
        hostRecv_ = allocateTouched(options_.maxBytes);
      }
    } else {
      send_ = allocateTouched(options_.maxBytes, options_.sharedBuffers);
      recv_ = allocateTouched(options_.maxBytes, options_.sharedBuffers);
    }
    if (options_.check > 0) expected_ = allocateTouched(options_.maxBytes);
  }
  ~RankRunner() {
    if (stream_ != nullptr) cuda::destroyStream(stream_);
  }
  RankRunner(const RankRunner&) = delete;
  RankRunner& operator=(const RankRunner&) = delete;

  int64_t run() {
    const bool report = !options_.outputFile.empty();
    if (report) checkReportFile();
    record_.startTime = utcNow();
    printPreamble();
    std::vector<size_t> sizes = sizeSequence(options_);
    std::vector<weftDataType_t> types = options_.types;
    if (!coll_.movesData()) {  // one row: neither the size nor the type means anything
      sizes = {0};
      types.resize(1);
    }
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
    for (weftDataType_t type : types) {
      for (weftRedOp_t op : ops) {
        for (int root : roots) timeTest(sizes, type, op, root);
      }
    }
    const int64_t outOfBounds = sumOverRanks(checksFailed_);
    const double avgBusBw = bwCount_ > 0 ? bwSum_ / bwCount_ : 0.0;
    if (options_.stats) print(statsHeaderLines(options_.iters, options_.average) + statsRows_);
    print(footerLines(outOfBounds, avgBusBw));
    if (report && rank_ == 0) {
      record_.program = programOf(options_);
      record_.collective = std::string(coll_.name());
      record_.ranks = nranks_;
      record_.options = options_;
      record_.endTime = utcNow();
      record_.outOfBounds = outOfBounds;
      record_.avgBusBw = avgBusBw;
      writeFileAtomically(options_.outputFile, reportJson(record_));
    }
    return outOfBounds;
  }

 private:
  // Where one call's buffers start: out of place the two buffers, in place both inside recv_ at
  // the rank's offsets (bench/common/layout.h). `shift` walks through the buffers (see call()).
  struct Pointers {
    std::byte* send;
    std::byte* recv;
  };
  Pointers pointers(const Layout& layout, size_t element, bool inPlace, size_t shift) const {
    return pointersIn(send_.get(), recv_.get(), layout, element, inPlace, shift);
  }
  // The same offsets in the host copies, where the checks fill and read (--mem cuda); else the
  // buffers themselves.
  Pointers hostPointers(const Layout& layout, size_t element, bool inPlace) const {
    if (!device_) return pointers(layout, element, inPlace, 0);
    return pointersIn(hostSend_.get(), hostRecv_.get(), layout, element, inPlace, 0);
  }
  Pointers pointersIn(std::byte* send, std::byte* recv, const Layout& layout, size_t element, bool inPlace,
                      size_t shift) const {
    std::byte* base = recv + shift;
    if (!inPlace) return {send + shift, base};
    const auto rank = static_cast<size_t>(rank_);
    return {base + layout.sendInPlaceOffset * rank * element,
            base + layout.recvInPlaceOffset * rank * element};
  }

  // This rank's place among the ranks of its host: its thread under -t, else the launcher's
  // local rank (weftGetEnvLocalRank).
  int localIndex() const {
    if (options_.nThreads > 1) return rank_;
    int local = 0;
    checkWeft(weftGetEnvLocalRank(&local), nullptr, "weftGetEnvLocalRank");
    return local;
  }

  // -J: rank 0 makes sure, before the run, that it will be able to write the report; every rank
  // learns the outcome, so that all stop alike when it cannot.
  void checkReportFile() {
    std::string why;
    if (rank_ == 0) {
      try {
        checkWritable(options_.outputFile);
      } catch (const std::system_error& e) {
        why = "-J: " + std::string(e.what());
        // Said now, before the others learn of it: under a launcher, the first rank to exit
        // may get the rest killed before they print anything.
        std::fprintf(stderr, "%s: %s\n", programOf(options_).c_str(), why.c_str());
        std::fflush(stderr);
      }
    }
    if (sumOverRanks(why.empty() ? 0 : 1) != 0) {
      throw UsageError(rank_ == 0 ? why : "-J: rank 0 cannot write its report file");
    }
  }

  static std::string programOf(const Options& options) {
    if (options.commandLine.empty()) return "";
    const std::string& path = options.commandLine.front();
    const size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
  }

  Layout layoutFor(size_t bytes, weftDataType_t type) const {
    return coll_.layoutFor(bytes, elementSize(type), nranks_);
  }

  // Who I am and what each of the others is, gathered with one all-reduce: each rank writes its
  // line into its own slot of a zeroed buffer, so a byte-wise sum is a gather.
  void printPreamble() {
    print(parameterLine(options_));
    if (options_.blocking) print("# Blocking Enabled: a barrier after every operation\n");
    if (options_.sharedBuffers) print("# Shared buffers: send and receive buffers from weftMemAlloc\n");
    if (device_) print("# Device buffers (--mem cuda): calls on a stream, rank 0 on " + deviceName_ + "\n");
    print("#\n# Using devices\n");
    // A slot: the pid (8 bytes), then the host name, NUL-terminated.
    constexpr size_t kSlot = 256;
    std::vector<char> slots(kSlot * static_cast<size_t>(nranks_), '\0');
    char* mine = &slots[kSlot * rank_];
    const int64_t pid = ::getpid();
    std::memcpy(mine, &pid, sizeof pid);
    ::gethostname(mine + sizeof pid, 128);  // NUL-terminated within the slot: 8 + 128 < 256
    backend_.allReduce(slots.data(), slots.size(), weftUint8, weftSum, "gathering the device list");
    for (int r = 0; r < nranks_; ++r) {
      int64_t rankPid = 0;
      std::memcpy(&rankPid, &slots[kSlot * r], sizeof rankPid);
      const std::string host(&slots[kSlot * r + sizeof rankPid]);
      print(deviceLine(r, static_cast<long>(rankPid), host));
      if (rank_ == 0) {
        record_.devices.push_back({.rank = r, .pid = static_cast<long>(rankPid), .host = host});
      }
    }
    print("#\n" + headerLines());
  }

  // nccl-tests' TimeTest: warm up at the largest and the smallest size, then one row per size.
  void timeTest(const std::vector<size_t>& sizes, weftDataType_t type, weftRedOp_t op, int root) {
    barrier();
    for (size_t bytes : {options_.maxBytes, options_.minBytes}) {
      const Layout layout = layoutFor(bytes, type);
      for (int i = 0; i < options_.warmupIters; ++i) call(layout, type, op, root, false, i);
    }
    for (size_t size : sizes) {
      const Layout layout = layoutFor(size, type);
      RowRecord rec{.bytes = layout.rowElements() * elementSize(type),
                    .count = layout.count,
                    .type = std::string(coll_.movesData() ? typeName(type) : "none"),
                    .redop = std::string(coll_.hasOp() ? opName(op) : "none"),
                    .root = coll_.hasRoot() ? root : -1,
                    .outOfPlace = measure(layout, type, op, root, false),
                    .inPlace = std::nullopt};
      if (coll_.inPlace() != InPlace::None) rec.inPlace = measure(layout, type, op, root, true);
      std::string row = rowPrefix(rec.bytes, rec.count, rec.type, rec.redop, rec.root);
      for (const auto* group : {&rec.outOfPlace, &rec.inPlace}) {
        row += *group ? resultCell((*group)->timeUs, (*group)->algbw, (*group)->busbw, (*group)->wrong)
                      : unmeasuredCell();
      }
      print(row + "\n");
      if (rank_ != 0) continue;
      if (options_.stats) {
        const auto statsOf = [](const std::optional<GroupResult>& g) {
          return g ? g->stats : std::nullopt;
        };
        statsRows_ += statsRow(rec.bytes, rec.count, rec.type, rec.redop, rec.root,
                               statsOf(rec.outOfPlace), statsOf(rec.inPlace));
      }
      if (!options_.outputFile.empty()) record_.rows.push_back(std::move(rec));
    }
  }

  // nccl-tests' BenchTime: one call to synchronize, the timed loop, then the checked runs.
  // With -s each iteration's time is also kept (laps of the same stopwatch, so the total is
  // unchanged) and combined over ranks iteration by iteration, as -a combines the mean.
  GroupResult measure(const Layout& layout, weftDataType_t type, weftRedOp_t op, int root,
                      bool inPlace) {
    const bool checkable =
        coll_.movesData() && !(inPlace && coll_.inPlace() == InPlace::Unchecked);
    if (options_.check > 0 && checkable) prepare(layout, type, op, root, inPlace, checkSeed_);
    call(layout, type, op, root, inPlace, 0);
    std::vector<double> laps;  // seconds per operation, one per iteration (-s)
    if (options_.stats) laps.reserve(static_cast<size_t>(options_.iters));
    barrier();
    Stopwatch watch;
    double lapStart = 0;
    // As nccl-tests: the -m operations of one iteration form one group, run together.
    const bool grouped = options_.aggIters > 1;
    for (int iter = 0; iter < options_.iters; ++iter) {
      if (grouped) backend_.groupStart();
      for (int agg = 0; agg < options_.aggIters; ++agg) {
        call(layout, type, op, root, inPlace, iter * options_.aggIters + agg, grouped);
      }
      if (grouped) backend_.groupEnd();
      if (options_.stats) {
        if (device_) cuda::synchronize(stream_);  // a lap ends when its calls did
        const double now = watch.seconds();
        laps.push_back((now - lapStart) / options_.aggIters);
        lapStart = now;
      }
    }
    if (device_) cuda::synchronize(stream_);  // the calls returned at once; the stream ran them
    double seconds = watch.seconds() / (double(options_.iters) * options_.aggIters);
    combineTimes(&seconds, 1);
    std::optional<IterationStats> stats;
    if (options_.stats) {
      combineTimes(laps.data(), laps.size());
      for (double& lap : laps) lap *= 1.0e6;
      stats = summarize(std::move(laps));
    }
    const double algbw = algBandwidth(layout.rowElements() * elementSize(type), seconds);
    const double busbw = algbw * coll_.busBwFactor(nranks_);
    barrier();

    std::optional<int64_t> wrong;
    for (int c = 0; checkable && c < options_.check; ++c) {
      prepare(layout, type, op, root, inPlace, ++checkSeed_);
      call(layout, type, op, root, inPlace, 0);
      const int64_t mine = countMine(layout, type, op, inPlace);
      if (mine != 0) ++checksFailed_;
      wrong = sumOverRanks(mine);
      if (*wrong != 0) break;
    }
    bwSum_ += busbw;
    ++bwCount_;
    return {.timeUs = seconds * 1.0e6, .algbw = algbw, .busbw = busbw, .wrong = wrong,
            .stats = stats};
  }

  // Zeroes the buffer the call writes to, writes this rank's input at its send pointer, and
  // the expected content of its receive region: that region as it is now (for ranks or parts the
  // call must leave alone), overwritten by the collective where the call writes.
  void prepare(const Layout& layout, weftDataType_t type, weftRedOp_t op, int root, bool inPlace,
               uint64_t seed) {
    const CheckSpec spec{.type = type, .op = op, .nranks = nranks_, .seed = seed};
    const size_t element = elementSize(type);
    // Every in-place region lies within the first rowElements() of recv_.
    const size_t rowBytes = layout.rowElements() * element;
    std::memset(device_ ? hostRecv_.get() : recv_.get(), 0, rowBytes);
    const Pointers at = hostPointers(layout, element, inPlace);
    coll_.fillInput(spec, layout, rank_, root, at.send);
    std::memcpy(expected_.get(), at.recv, layout.recvCount * element);
    coll_.fillExpected(spec, layout, rank_, root, expected_.get());
    if (device_) {
      // The buffers' first row, as the host copies hold it (every send and in-place region lies
      // within it; the calls checked start at shift 0).
      cuda::upload(recv_.get(), hostRecv_.get(), rowBytes, stream_);
      if (!inPlace) cuda::upload(send_.get(), hostSend_.get(), rowBytes, stream_);
    }
  }

  int64_t countMine(const Layout& layout, weftDataType_t type, weftRedOp_t op, bool inPlace) {
    const size_t count = layout.recvCount;
    const std::byte* got = hostPointers(layout, elementSize(type), inPlace).recv;
    if (device_) {
      // After the checked call on the stream: stream order makes the copy wait for it.
      cuda::download(const_cast<std::byte*>(got), pointers(layout, elementSize(type), inPlace, 0).recv,
                     count * elementSize(type), stream_);
    }
    size_t first = 0;
    const size_t wrong = countWrong(type, got, expected_.get(), count, &first);
    if (wrong != 0) {
      std::fprintf(stderr,
                   "# rank %d: %s %s %s %s: %zu of %zu elements wrong; first at [%zu]: expected "
                   "%.17Lg, got %.17Lg\n",
                   rank_, std::string(coll_.name()).c_str(), std::string(typeName(type)).c_str(),
                   coll_.hasOp() ? std::string(opName(op)).c_str() : "",
                   inPlace ? "in-place" : "out-of-place", wrong, count, first,
                   elementValue(type, expected_.get(), first), elementValue(type, got, first));
    }
    return static_cast<int64_t>(wrong);
  }

  // One operation. Successive iterations walk through the buffers (nccl-tests does the same) so
  // that a size much smaller than -e is not always served from the same cache lines. A layout
  // never spans more than the row's size, so maxBytes bounds every shifted region.
  // `grouped`: inside weftGroupStart/End, where -z's barrier would only join the group.
  void call(const Layout& layout, weftDataType_t type, weftRedOp_t op, int root, bool inPlace,
            int iter, bool grouped = false) {
    const size_t element = elementSize(type);
    const size_t bytes = layout.rowElements() * element;
    const size_t slots = bytes == 0 ? 1 : options_.maxBytes / bytes;
    const size_t shift = bytes * (static_cast<size_t>(iter) % slots);
    const Pointers at = pointers(layout, element, inPlace, shift);
    const CallArgs args{.send = at.send, .recv = at.recv, .count = layout.count, .type = type,
                        .op = op, .root = root, .rank = rank_, .nranks = nranks_, .inPlace = inPlace,
                        .stream = stream_};
    backend_.call(coll_, args);
    if (options_.blocking && !grouped) {
      if (device_) cuda::synchronize(stream_);
      barrier();
    }
  }

  void barrier() {
    token_ = 0;  // a sum of zeros: nothing grows or overflows however often it runs
    backend_.allReduce(&token_, 1, weftInt32, weftSum, "barrier");
  }

  // -a: each of the n times becomes rank 0's, or the mean, min or max over ranks of that time;
  // every rank gets the result.
  void combineTimes(double* times, size_t n) {
    if (options_.average == Average::Rank0) {
      backend_.broadcast(times, n, weftFloat64, 0, "time of rank 0");
      return;
    }
    const weftRedOp_t op = options_.average == Average::Min   ? weftMin
                           : options_.average == Average::Max ? weftMax
                                                              : weftSum;
    backend_.allReduce(times, n, weftFloat64, op, "combining times");
    if (options_.average != Average::Mean) return;
    for (size_t i = 0; i < n; ++i) times[i] /= nranks_;
  }

  int64_t sumOverRanks(int64_t value) {
    backend_.allReduce(&value, 1, weftInt64, weftSum, "summing counts");
    return value;
  }

  void print(const std::string& text) const {
    if (rank_ != 0) return;
    std::fputs(text.c_str(), stdout);
    std::fflush(stdout);
  }

  const Options& options_;
  const Collective& coll_;
  Backend& backend_;
  int rank_ = 0;
  int nranks_ = 1;
  const bool device_;       // --mem cuda
  std::string deviceName_;  // --mem cuda: "device 0 of 1: NVIDIA H200"
  void* stream_ = nullptr;  // --mem cuda: this rank's stream
  Buffer send_, recv_, expected_;
  Buffer hostSend_, hostRecv_;  // --mem cuda with checks: what is uploaded and downloaded
  uint64_t checkSeed_ = 0;  // the same sequence on every rank, so inputs agree
  int64_t checksFailed_ = 0;
  double bwSum_ = 0.0;
  int bwCount_ = 0;
  int32_t token_ = 0;
  RunRecord record_;       // -J, filled on rank 0
  std::string statsRows_;  // -s, rank 0: printed after the main table
};

}  // namespace

int64_t runRank(const Options& options, const Collective& collective, Backend& backend) {
  return RankRunner(options, collective, backend).run();
}

int64_t runRank(const Options& options, const Collective& collective, weftComm_t comm) {
  WeftBackend backend(comm);
  return runRank(options, collective, backend);
}

}  // namespace weft::bench
