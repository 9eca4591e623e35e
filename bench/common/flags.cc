// SPDX-License-Identifier: Apache-2.0
// Parses the perf tools' command line from one table of flags, which also writes the help text.
#include "bench/common/flags.h"

#include <array>
#include <cerrno>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "bench/common/dtype.h"

namespace weft::bench {
namespace {

[[noreturn]] void fail(char letter, std::string_view longName, std::string_view value,
                       std::string_view expected) {
  throw FlagError("invalid value '" + std::string(value) + "' for -" + std::string(1, letter) +
                  "/--" + std::string(longName) + ": expected " + std::string(expected));
}

std::optional<long long> parseInteger(std::string_view text) {
  const std::string s(text);
  if (s.empty()) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s.c_str(), &end, 0);  // base 0, as nccl-tests: 0x10 works
  if (errno != 0 || end != s.c_str() + s.size()) return std::nullopt;
  return v;
}

struct Flag {
  char letter;
  std::string_view longName;
  std::string_view hint;  // the value, for usage and errors
  std::string_view help;
  void (*apply)(const Flag&, Options&, std::string_view);
};

int intIn(const Flag& f, std::string_view v, long long lo, long long hi) {
  const auto parsed = parseInteger(v);
  if (!parsed || *parsed < lo || *parsed > hi) fail(f.letter, f.longName, v, f.hint);
  return static_cast<int>(*parsed);
}

size_t sizeOf(const Flag& f, std::string_view v) {
  const auto parsed = parseSize(v);
  if (!parsed) fail(f.letter, f.longName, v, "a size such as 8, 64K, 32M or 1G");
  return *parsed;
}

// The flags, in nccl-tests' order. The letters and long names are what nccl-tests users type.
const std::array<Flag, 20> kFlags = {{
    {'t', "nthreads", "<num threads>", "ranks as threads of this process. Default: 1",
     [](const Flag& f, Options& o, std::string_view v) { o.nThreads = intIn(f, v, 1, 4096); }},
    {'g', "ngpus", "<1>", "devices per thread: 1 (ranks share a GPU instead: -t N or weftrun -n N)",
     [](const Flag& f, Options& o, std::string_view v) {
       o.nGpus = intIn(f, v, 1, INT_MAX);
       if (o.nGpus != 1) fail(f.letter, f.longName, v, "1 (use -t N or weftrun -n N for more ranks)");
     }},
    {'b', "minbytes", "<min size in bytes>", "smallest size. Default: 32M",
     [](const Flag& f, Options& o, std::string_view v) { o.minBytes = sizeOf(f, v); }},
    {'e', "maxbytes", "<max size in bytes>", "largest size. Default: 32M",
     [](const Flag& f, Options& o, std::string_view v) { o.maxBytes = sizeOf(f, v); }},
    {'i', "stepbytes", "<increment size>", "fixed increment between sizes. Default: 1M",
     [](const Flag& f, Options& o, std::string_view v) { o.stepBytes = sizeOf(f, v); }},
    {'f', "stepfactor", "<increment factor>", "multiply sizes by this instead (when > 1). Default: 1",
     [](const Flag& f, Options& o, std::string_view v) {
       o.stepFactor = static_cast<size_t>(intIn(f, v, 0, INT_MAX));
     }},
    {'n', "iters", "<iteration count>", "timed iterations per size. Default: 20",
     [](const Flag& f, Options& o, std::string_view v) { o.iters = intIn(f, v, 1, INT_MAX); }},
    {'m', "agg_iters", "<aggregated iteration count>", "operations per timed iteration. Default: 1",
     [](const Flag& f, Options& o, std::string_view v) { o.aggIters = intIn(f, v, 1, INT_MAX); }},
    {'w', "warmup_iters", "<warmup iteration count>", "untimed iterations first. Default: 5",
     [](const Flag& f, Options& o, std::string_view v) { o.warmupIters = intIn(f, v, 0, INT_MAX); }},
    {'c', "check", "<check iteration count>", "checked runs per size, 0 for none. Default: 1",
     [](const Flag& f, Options& o, std::string_view v) { o.check = intIn(f, v, 0, INT_MAX); }},
    {'o', "op", "<sum/prod/max/min/avg/all>", "reduction op. Default: sum",
     [](const Flag& f, Options& o, std::string_view v) {
       if (v == "all") {
         o.ops.assign(kAllOps.begin(), kAllOps.end());
       } else if (const auto op = opFromName(v)) {
         o.ops = {*op};
       } else {
         fail(f.letter, f.longName, v, "one of sum, prod, max, min, avg, all");
       }
     }},
    {'d', "datatype", "<type/all>", "int8 uint8 int32 uint32 int64 uint64 half float double bfloat16 "
     "or all. Default: float",
     [](const Flag& f, Options& o, std::string_view v) {
       if (v == "all") {
         o.types.assign(kAllTypes.begin(), kAllTypes.end());
       } else if (const auto type = typeFromName(v)) {
         o.types = {*type};
       } else {
         fail(f.letter, f.longName, v,
              "one of int8, uint8, int32, uint32, int64, uint64, half, float, double, bfloat16, all");
       }
     }},
    {'r', "root", "<root/all>", "root rank of rooted operations, all (or -1) for each in turn. "
     "Default: 0",
     [](const Flag& f, Options& o, std::string_view v) {
       o.root = v == "all" ? kAllRoots : intIn(f, v, kAllRoots, INT_MAX);
     }},
    {'z', "blocking", "<0/1>", "barrier after every operation. Default: 0",
     [](const Flag& f, Options& o, std::string_view v) { o.blocking = intIn(f, v, 0, 1) != 0; }},
    {'a', "average", "<0/1/2/3>", "time reported: 0=rank 0, 1=average, 2=min, 3=max over ranks. "
     "Default: 1",
     [](const Flag& f, Options& o, std::string_view v) {
       o.average = static_cast<Average>(intIn(f, v, 0, 3));
     }},
    // -J as nccl-tests' -J/--output_file; -A and -s are weft's own (letters nccl-tests does not use).
    {'J', "output_file", "<file.json>", "write parameters and results as JSON (rank 0; written to a "
     "temporary file, then renamed)",
     [](const Flag& f, Options& o, std::string_view v) {
       if (v.empty()) fail(f.letter, f.longName, v, "a file name");
       o.outputFile = std::string(v);
     }},
    {'A', "algorithm", "<name>", "force a weft algorithm for the collective (ring, tree, chain, ...; "
     "sets WEFT_ALGO=<collective>:<name>). Default: weft chooses",
     [](const Flag& f, Options& o, std::string_view v) {
       if (!isAlgorithmName(v)) fail(f.letter, f.longName, v, "an algorithm name such as ring or tree");
       o.algorithm = std::string(v);
     }},
    {'s', "stats", "<0/1>", "also print per-iteration min/p50/p99/max times per size. Default: 0",
     [](const Flag& f, Options& o, std::string_view v) { o.stats = intIn(f, v, 0, 1) != 0; }},
    {'R', "shared_buffers", "<0/1>", "take the buffers from weftMemAlloc, which peer processes map "
     "(the one-copy \"shared\" algorithms; nccl-tests' -R registers buffers). Default: 0",
     [](const Flag& f, Options& o, std::string_view v) { o.sharedBuffers = intIn(f, v, 0, 1) != 0; }},
    {'D', "mem", "<host/cuda>", "where the buffers are: host memory, or CUDA device memory with the "
     "calls on a stream. Default: cuda where a GPU is usable, else host",
     [](const Flag& f, Options& o, std::string_view v) {
       if (v == "host") o.memory = Memory::Host;
       else if (v == "cuda") o.memory = Memory::Cuda;
       else fail(f.letter, f.longName, v, "host or cuda");
     }},
}};

const Flag* findFlag(char letter) {
  for (const Flag& f : kFlags) {
    if (f.letter == letter) return &f;
  }
  return nullptr;
}

const Flag* findFlag(std::string_view longName) {
  for (const Flag& f : kFlags) {
    if (f.longName == longName) return &f;
  }
  return nullptr;
}

void validate(const Options& o) {
  if (o.minBytes > o.maxBytes) {
    throw FlagError("invalid sizes: minbytes (-b) " + std::to_string(o.minBytes) +
                    " is larger than maxbytes (-e) " + std::to_string(o.maxBytes));
  }
  if (o.stepFactor > 1 && o.minBytes == 0 && o.maxBytes > 0) {
    throw FlagError("-b 0 with -f " + std::to_string(o.stepFactor) +
                    " never grows: start at -b 1 or more, or step with -i");
  }
  if (o.stepFactor <= 1 && o.stepBytes == 0 && o.minBytes < o.maxBytes) {
    throw FlagError("-i 0 never grows: give -i a positive increment or -f a factor above 1");
  }
}

}  // namespace

bool isAlgorithmName(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::optional<size_t> parseSize(std::string_view text) {
  const std::string s(text);
  if (s.empty() || s[0] == '-' || s[0] == '+') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double number = std::strtod(s.c_str(), &end);
  if (errno != 0 || end == s.c_str() || !std::isfinite(number)) return std::nullopt;
  std::string_view unit(end);
  double scale = 1;
  if (!unit.empty()) {
    switch (unit[0]) {
      case 'k': case 'K': scale = kKiB; break;
      case 'm': case 'M': scale = kMiB; break;
      case 'g': case 'G': scale = kGiB; break;
      default: return std::nullopt;
    }
    unit.remove_prefix(1);
  }
  if (unit == "B" || unit == "b") unit.remove_prefix(1);  // "64KB" reads as 64K
  if (!unit.empty()) return std::nullopt;
  const double bytes = number * scale;
  if (bytes >= static_cast<double>(std::numeric_limits<size_t>::max())) return std::nullopt;
  return static_cast<size_t>(bytes);  // a fraction of a byte is dropped, as nccl-tests does
}

ParsedFlags parseFlags(int argc, const char* const* argv) {
  ParsedFlags parsed;
  parsed.options.commandLine.assign(argv, argv + argc);
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg(argv[i]);
    if (arg == "-h" || arg == "--help") {
      parsed.help = true;
      continue;
    }
    const Flag* flag = nullptr;
    std::optional<std::string_view> value;
    if (arg.size() > 2 && arg.substr(0, 2) == "--") {
      std::string_view name = arg.substr(2);
      if (const size_t eq = name.find('='); eq != std::string_view::npos) {
        value = name.substr(eq + 1);
        name = name.substr(0, eq);
      }
      flag = findFlag(name);
    } else if (arg.size() >= 2 && arg[0] == '-') {
      flag = findFlag(arg[1]);
      if (arg.size() > 2) value = arg.substr(2);
    } else {
      throw FlagError("unexpected argument '" + std::string(arg) + "' (see -h)");
    }
    if (flag == nullptr) throw FlagError("unknown option '" + std::string(arg) + "' (see -h)");
    if (!value) {
      if (i + 1 >= argc) {
        throw FlagError("-" + std::string(1, flag->letter) + "/--" + std::string(flag->longName) +
                        " needs a value: " + std::string(flag->hint));
      }
      value = argv[++i];
    }
    flag->apply(*flag, parsed.options, *value);
  }
  validate(parsed.options);
  return parsed;
}

std::vector<size_t> sizeSequence(const Options& o) {
  std::vector<size_t> sizes;
  const size_t limit = std::numeric_limits<size_t>::max();
  for (size_t size = o.minBytes; size <= o.maxBytes;) {
    sizes.push_back(size);
    if (o.stepFactor > 1) {
      if (size == 0 || size > limit / o.stepFactor) break;
      size *= o.stepFactor;
    } else {
      if (o.stepBytes == 0 || o.stepBytes > limit - size) break;
      size += o.stepBytes;
    }
  }
  return sizes;
}

std::string usage(std::string_view program) {
  std::string text = "USAGE: " + std::string(program) + "\n";
  for (const Flag& f : kFlags) {
    text += "\t[-" + std::string(1, f.letter) + ",--" + std::string(f.longName) + " " +
            std::string(f.hint) + "] " + std::string(f.help) + "\n";
  }
  text += "\t[-h,--help]\n";
  text += "Sizes take K, M, G suffixes (powers of 1024). Run one rank per process under a launcher\n"
          "(weftrun -n 4 " + std::string(program) + " ...) or several as threads (-t 4).\n";
  return text;
}

}  // namespace weft::bench
