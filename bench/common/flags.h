// SPDX-License-Identifier: Apache-2.0
// Command-line flags of the perf tools, with nccl-tests' letters, long names, defaults and meanings.
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/weft.h"

namespace weft::bench {

inline constexpr size_t kKiB = 1024;
inline constexpr size_t kMiB = 1024 * kKiB;
inline constexpr size_t kGiB = 1024 * kMiB;

// -r all (or -r -1): every rank in turn is the root.
inline constexpr int kAllRoots = -1;

// -a: how the per-rank times of one measurement are combined (nccl-tests' numbering).
enum class Average { Rank0 = 0, Mean = 1, Min = 2, Max = 3 };

// --mem: where the buffers are. Auto is cuda where a GPU is usable, else host.
enum class Memory { Auto, Host, Cuda };

struct Options {
  int nThreads = 1;                 // -t: ranks as threads of this process
  int nGpus = 1;                    // -g: devices per thread, must be 1 (ranks share GPUs instead)
  size_t minBytes = 32 * kMiB;      // -b
  size_t maxBytes = 32 * kMiB;      // -e
  size_t stepBytes = 1 * kMiB;      // -i: used when stepFactor <= 1
  size_t stepFactor = 1;            // -f
  int iters = 20;                   // -n: timed iterations per size
  int warmupIters = 5;              // -w
  int aggIters = 1;                 // -m: operations per timed iteration
  int check = 1;                    // -c: checked runs per size (0: no check, #wrong shows N/A)
  std::vector<weftDataType_t> types = {weftFloat32};  // -d
  std::vector<weftRedOp_t> ops = {weftSum};           // -o
  int root = 0;                     // -r, or kAllRoots
  Average average = Average::Mean;  // -a
  bool blocking = false;            // -z: a barrier after every operation
  std::string outputFile;           // -J: write the JSON report here (rank 0); empty: none
  std::string algorithm;            // -A: force this weft algorithm; empty: weft chooses
  bool stats = false;               // -s: per-iteration min/p50/p99/max table
  bool sharedBuffers = false;       // -R: buffers from weftMemAlloc
  Memory memory = Memory::Auto;     // -D/--mem: host or device buffers
  std::vector<std::string> commandLine;  // argv as given, for the JSON report
};

// -A NAME: letters, digits and '_' only, so that it cannot add rules to WEFT_ALGO's grammar.
bool isAlgorithmName(std::string_view name);

// A bad command line; what() says which flag and why, in one line.
class FlagError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ParsedFlags {
  Options options;
  bool help = false;  // -h / --help: print usage() and exit 0
};

// Parses argv[1..argc) ("-b 8", "-b8", "--minbytes 8", "--minbytes=8"). Throws FlagError.
ParsedFlags parseFlags(int argc, const char* const* argv);

// "8", "64K", "1.5M", "2G" (k/m/g too, powers of 1024, as nccl-tests); nullopt if malformed.
std::optional<size_t> parseSize(std::string_view text);

// The sizes in bytes the tools measure: minBytes, then times stepFactor when it is above 1, else
// plus stepBytes, while not above maxBytes (nccl-tests' loop).
std::vector<size_t> sizeSequence(const Options& options);

// The help text, naming the program as given.
std::string usage(std::string_view program);

}  // namespace weft::bench
