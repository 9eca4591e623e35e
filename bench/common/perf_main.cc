// SPDX-License-Identifier: Apache-2.0
// The main of every perf tool: flags, launch mode (processes or threads), communicator set-up and exit status.
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <thread>
#include <vector>

#include "bench/common/device.h"
#include "bench/common/launch.h"
#include "bench/common/runner.h"
#include "bench/common/weft_call.h"

namespace weft::bench {
namespace {

std::string programName(const char* argv0) {
  const std::string path = argv0 != nullptr ? argv0 : "perf";
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// A job the tool cannot run (a root that is not a rank, too few ranks) is a usage error,
// reported once (by rank 0 or the main thread). Returns whether the job is fine.
bool checkJob(const std::string& program, const Options& options, const Collective& coll,
              int nranks, bool report) {
  if (nranks < coll.minRanks()) {
    if (report) {
      std::fprintf(stderr,
                   "%s: %.*s needs at least %d ranks and this job has %d: run it with -t %d "
                   "(or more) or under a launcher\n",
                   program.c_str(), static_cast<int>(coll.name().size()), coll.name().data(),
                   coll.minRanks(), nranks, coll.minRanks());
    }
    return false;
  }
  if (coll.hasRoot() && options.root != kAllRoots && options.root >= nranks) {
    if (report) {
      std::fprintf(stderr, "%s: -r %d is not a rank of this %d-rank job (use 0..%d or all)\n",
                   program.c_str(), options.root, nranks, nranks - 1);
    }
    return false;
  }
  return true;
}

// -A NAME becomes WEFT_ALGO=<collective>:NAME in this process's environment before any
// communicator exists: the tool configures weft as a user would, through the variable weft
// reads at init (docs/env.md). It replaces a WEFT_ALGO the user set.
bool forceAlgorithm(const std::string& program, const Options& options, const Collective& coll) {
  if (options.algorithm.empty()) return true;
  const std::string rule = coll.weftAlgo(options.algorithm);
  if (::setenv("WEFT_ALGO", rule.c_str(), 1) != 0) {
    std::fprintf(stderr, "%s: -A %s: cannot set WEFT_ALGO: %s\n", program.c_str(),
                 options.algorithm.c_str(), std::strerror(errno));
    return false;
  }
  return true;
}

// weft refuses at init an algorithm it does not have for this collective: with -A that is a
// usage error. Returns whether it was (and reported it).
bool algorithmRefused(const std::string& program, const Options& options, const Collective& coll,
                      weftResult_t result) {
  if (options.algorithm.empty() || result != weftInvalidArgument) return false;
  std::fprintf(stderr, "%s: -A %s: weft refused the algorithm for %.*s (WEFT_ALGO=%s): %s\n",
               program.c_str(), options.algorithm.c_str(), static_cast<int>(coll.name().size()),
               coll.name().data(), coll.weftAlgo(options.algorithm).c_str(),
               weftGetLastError(nullptr));
  return true;
}

// --mem: auto becomes cuda where a GPU is usable, else host; cuda without one is a usage error.
bool chooseMemory(const std::string& program, Options& options) {
  if (options.memory == Memory::Auto) {
    options.memory = !options.sharedBuffers && cuda::usable() ? Memory::Cuda : Memory::Host;
    return true;
  }
  if (options.memory != Memory::Cuda) return true;
  if (options.sharedBuffers) {
    std::fprintf(stderr, "%s: -R 1 takes host buffers from weftMemAlloc: not with --mem cuda\n", program.c_str());
    return false;
  }
  if (!cuda::usable()) {
    std::fprintf(stderr, "%s: --mem cuda: no GPU can be used here (no device, no driver, or a build without "
                 "CUDA)\n", program.c_str());
    return false;
  }
  return true;
}

// One rank per process: the launcher's environment says who we are.
int runProcessRank(const std::string& program, const Options& options, const Collective& coll) {
  weftComm_t comm = nullptr;
  int rank = -1;
  try {
    if (options.memory == Memory::Cuda) {
      // Its device current before the communicator is made, as NCCL asks: weft learns then
      // which ranks share a GPU (Note [Device link]).
      int local = 0;
      checkWeft(weftGetEnvLocalRank(&local), nullptr, "weftGetEnvLocalRank");
      cuda::useDevice(local);
    }
    const weftResult_t init = weftCommInitFromEnv(&comm);
    if (algorithmRefused(program, options, coll, init)) return 2;
    checkWeft(init, nullptr, "weftCommInitFromEnv");
    int nranks = 0;
    checkWeft(weftCommUserRank(comm, &rank), comm, "weftCommUserRank");
    checkWeft(weftCommCount(comm, &nranks), comm, "weftCommCount");
    if (!checkJob(program, options, coll, nranks, rank == 0)) {
      weftCommDestroy(comm);
      return 2;
    }
    const int64_t failed = runRank(options, coll, comm);
    checkWeft(weftCommDestroy(comm), nullptr, "weftCommDestroy");
    return failed != 0 ? 1 : 0;
  } catch (const UsageError&) {  // rank 0 has said why
    weftCommDestroy(comm);
    return 2;
  } catch (const std::exception& e) {
    std::fflush(stdout);
    if (rank >= 0) {
      std::fprintf(stderr, "%s: rank %d: %s\n", program.c_str(), rank, e.what());
    } else {
      std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
    }
    weftCommDestroy(comm);
    return 1;
  }
}

// -t N: N ranks as threads of this process.
int runThreadRanks(const std::string& program, const Options& options, const Collective& coll,
                   int nranks) {
  if (!checkJob(program, options, coll, nranks, true)) return 2;
  std::vector<weftComm_t> comms(static_cast<size_t>(nranks), nullptr);
  try {
    const weftResult_t init = weftCommInitAll(comms.data(), nranks, nullptr);
    if (algorithmRefused(program, options, coll, init)) return 2;
    checkWeft(init, nullptr, "weftCommInitAll");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
    return 1;
  }
  std::vector<int64_t> failed(comms.size(), 0);
  std::vector<char> usage(comms.size(), 0);  // a UsageError, thrown by every rank alike
  std::vector<std::thread> threads;
  for (int r = 0; r < nranks; ++r) {
    threads.emplace_back([&, r] {
      try {
        failed[r] = runRank(options, coll, comms[r]);
      } catch (const UsageError&) {  // rank 0 has said why
        usage[r] = 1;
      } catch (const std::exception& e) {
        // The other ranks are blocked in a collective that will never complete: stop the
        // process now rather than leave them to time out.
        std::fflush(stdout);
        std::fprintf(stderr, "%s: rank %d: %s\n", program.c_str(), r, e.what());
        std::fflush(stderr);
        std::_Exit(1);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  int status = usage[0] != 0 ? 2 : failed[0] != 0 ? 1 : 0;
  for (weftComm_t comm : comms) {
    if (weftCommDestroy(comm) != weftSuccess) {
      std::fprintf(stderr, "%s: weftCommDestroy failed: %s\n", program.c_str(),
                   weftGetLastError(nullptr));
      status = 1;
    }
  }
  return status;
}

}  // namespace

int runPerfMain(int argc, char** argv, const Collective& collective) {
  const std::string program = programName(argc > 0 ? argv[0] : nullptr);
  ParsedFlags parsed;
  Launch launch;
  try {
    parsed = parseFlags(argc, argv);
    if (parsed.help) {
      std::fputs(usage(program).c_str(), stdout);
      return 0;
    }
    int envWorldSize = 1;
    if (weftGetEnvWorldSize(&envWorldSize) != weftSuccess) throw FlagError(weftGetLastError(nullptr));
    launch = chooseLaunch(parsed.options.nThreads, envWorldSize);
  } catch (const FlagError& e) {
    std::fprintf(stderr, "%s: %s\n", program.c_str(), e.what());
    return 2;
  }
  if (!chooseMemory(program, parsed.options)) return 2;
  if (!forceAlgorithm(program, parsed.options, collective)) return 1;
  if (launch.fromEnv) return runProcessRank(program, parsed.options, collective);
  return runThreadRanks(program, parsed.options, collective, launch.threads);
}

}  // namespace weft::bench
