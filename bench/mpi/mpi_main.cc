// SPDX-License-Identifier: Apache-2.0
// MPI as the sweep's backend: MPI_COMM_WORLD, MPI's own reductions for the bookkeeping.
#include "bench/mpi/mpi_main.h"

#include <cstdio>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/common/backend.h"
#include "bench/common/dtype.h"
#include "bench/common/runner.h"

namespace weft::bench {
namespace {

std::optional<MPI_Datatype> mpiType(weftDataType_t t) {
  switch (t) {
    case weftInt8: return MPI_INT8_T;
    case weftUint8: return MPI_UINT8_T;
    case weftInt32: return MPI_INT32_T;
    case weftUint32: return MPI_UINT32_T;
    case weftInt64: return MPI_INT64_T;
    case weftUint64: return MPI_UINT64_T;
    case weftFloat32: return MPI_FLOAT;
    case weftFloat64: return MPI_DOUBLE;
    default: return std::nullopt;  // float16, bfloat16: MPI has neither
  }
}

std::optional<MPI_Op> mpiOp(weftRedOp_t op) {
  switch (op) {
    case weftSum: return MPI_SUM;
    case weftProd: return MPI_PROD;
    case weftMax: return MPI_MAX;
    case weftMin: return MPI_MIN;
    default: return std::nullopt;  // avg
  }
}

void checkMpi(int code, const std::string& what) {
  if (code == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(code, text, &len);
  throw std::runtime_error(what + " failed: " + std::string(text, size_t(len)));
}

class MpiBackend final : public Backend {
 public:
  explicit MpiBackend(MpiCall call) : call_(call) {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  const char* name() const override { return "MPI"; }
  void call(const Collective& coll, const CallArgs& args) override {
    checkMpi(call_(args, *mpiType(args.type), mpiOp(args.op).value_or(MPI_SUM)), "MPI " + std::string(coll.name()));
  }
  void allReduce(void* buf, size_t count, weftDataType_t type, weftRedOp_t op, const char* what) override {
    checkMpi(MPI_Allreduce(MPI_IN_PLACE, buf, int(count), *mpiType(type), *mpiOp(op), MPI_COMM_WORLD),
             std::string("MPI_Allreduce (") + what + ")");
  }
  void broadcast(void* buf, size_t count, weftDataType_t type, int root, const char* what) override {
    checkMpi(MPI_Bcast(buf, int(count), *mpiType(type), root, MPI_COMM_WORLD), std::string("MPI_Bcast (") + what + ")");
  }

 private:
  MpiCall call_;
  int rank_ = 0;
  int size_ = 1;
};

std::string programName(const char* argv0) {
  const std::string path = argv0 != nullptr ? argv0 : "mpi_perf";
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Drops what MPI cannot do; false (with the reason on stderr) when nothing is left or the job
// cannot run as asked.
bool adaptOptions(const std::string& program, Options& o, const Collective& coll, int nranks, bool report) {
  auto say = [&](const std::string& text) {
    if (report) std::fprintf(stderr, "%s: %s\n", program.c_str(), text.c_str());
  };
  if (o.nThreads > 1) return say("-t: MPI ranks are processes; run under mpirun -np N"), false;
  if (!o.algorithm.empty()) return say("-A: MPI chooses its own algorithms (see its MCA parameters)"), false;
  std::vector<weftDataType_t> types;
  for (weftDataType_t t : o.types) {
    if (mpiType(t)) types.push_back(t);
    else say("MPI has no " + std::string(typeName(t)) + " type: left out");
  }
  std::vector<weftRedOp_t> ops;
  for (weftRedOp_t op : o.ops) {
    if (mpiOp(op)) ops.push_back(op);
    else if (coll.hasOp()) say("MPI has no " + std::string(opName(op)) + " reduction: left out");
  }
  if (types.empty() || (coll.hasOp() && ops.empty())) return say("nothing left to measure"), false;
  o.types = types;
  if (!ops.empty()) o.ops = ops;
  if (coll.hasRoot() && o.root != kAllRoots && o.root >= nranks) {
    return say("-r " + std::to_string(o.root) + " is not a rank of this " + std::to_string(nranks) + "-rank job"), false;
  }
  if (nranks < coll.minRanks()) return say("needs at least " + std::to_string(coll.minRanks()) + " ranks"), false;
  return true;
}

}  // namespace

int runMpiPerfMain(int argc, char** argv, const Collective& collective, MpiCall call) {
  const std::string program = programName(argc > 0 ? argv[0] : nullptr);
  ParsedFlags parsed;
  try {
    parsed = parseFlags(argc, argv);
  } catch (const FlagError& e) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
    return 2;
  }
  if (parsed.help) {
    std::fputs(usage(program).c_str(), stdout);
    return 0;
  }
  MPI_Init(&argc, &argv);
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int status = 0;
  try {
    MpiBackend backend(call);
    if (!adaptOptions(program, parsed.options, collective, backend.size(), backend.rank() == 0)) {
      status = 2;
    } else {
      status = runRank(parsed.options, collective, backend) != 0 ? 1 : 0;
    }
  } catch (const UsageError&) {
    status = 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
    MPI_Abort(MPI_COMM_WORLD, 1);  // the other ranks wait in a collective that will not complete
  }
  MPI_Finalize();
  return status;
}

}  // namespace weft::bench
