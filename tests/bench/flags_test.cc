// SPDX-License-Identifier: Apache-2.0
// Tests of the perf tools' flag parsing and size sequence against nccl-tests' behaviour.
#include <catch2/catch.hpp>

#include <initializer_list>
#include <string>
#include <vector>

#include "bench/common/flags.h"

using namespace weft::bench;

namespace {

ParsedFlags parse(std::initializer_list<const char*> args) {
  std::vector<const char*> argv = {"all_reduce_perf"};
  argv.insert(argv.end(), args.begin(), args.end());
  return parseFlags(static_cast<int>(argv.size()), argv.data());
}

std::string errorOf(std::initializer_list<const char*> args) {
  try {
    parse(args);
  } catch (const FlagError& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace

TEST_CASE("defaults are nccl-tests' defaults", "[bench][flags]") {
  const Options o = parse({}).options;
  CHECK(o.minBytes == 32 * kMiB);
  CHECK(o.maxBytes == 32 * kMiB);
  CHECK(o.stepBytes == 1 * kMiB);
  CHECK(o.stepFactor == 1);
  CHECK(o.iters == 20);
  CHECK(o.warmupIters == 5);
  CHECK(o.aggIters == 1);
  CHECK(o.check == 1);
  CHECK(o.nThreads == 1);
  CHECK(o.nGpus == 1);
  CHECK(o.types == std::vector<weftDataType_t>{weftFloat32});
  CHECK(o.ops == std::vector<weftRedOp_t>{weftSum});
  CHECK(o.root == 0);
  CHECK(o.average == Average::Mean);
  CHECK_FALSE(o.blocking);
  CHECK(sizeSequence(o) == std::vector<size_t>{32 * kMiB});
}

TEST_CASE("sizes take K, M, G suffixes in powers of 1024", "[bench][flags]") {
  CHECK(parseSize("8") == 8u);
  CHECK(parseSize("0") == 0u);
  CHECK(parseSize("64K") == 64 * kKiB);
  CHECK(parseSize("64k") == 64 * kKiB);
  CHECK(parseSize("32M") == 32 * kMiB);
  CHECK(parseSize("1G") == kGiB);
  CHECK(parseSize("1.5M") == 3 * kMiB / 2);
  CHECK(parseSize("64KB") == 64 * kKiB);
  CHECK_FALSE(parseSize("").has_value());
  CHECK_FALSE(parseSize("-8").has_value());
  CHECK_FALSE(parseSize("12X").has_value());
  CHECK_FALSE(parseSize("M").has_value());
  CHECK_FALSE(parseSize("1MM").has_value());

  const Options o = parse({"-b", "8", "-e", "128M", "-f", "2"}).options;
  CHECK(o.minBytes == 8);
  CHECK(o.maxBytes == 128 * kMiB);
  CHECK(o.stepFactor == 2);
}

TEST_CASE("short, attached and long spellings all parse", "[bench][flags]") {
  const Options o = parse({"-b8", "--maxbytes", "1K", "--iters=7", "-w", "0", "-n", "3", "-m", "2",
                           "-c", "0", "-t", "4", "-g", "1", "-z", "1", "-a", "2"})
                        .options;
  CHECK(o.minBytes == 8);
  CHECK(o.maxBytes == 1024);
  CHECK(o.iters == 3);  // the last one wins
  CHECK(o.warmupIters == 0);
  CHECK(o.aggIters == 2);
  CHECK(o.check == 0);
  CHECK(o.nThreads == 4);
  CHECK(o.blocking);
  CHECK(o.average == Average::Min);
  CHECK(parse({"-h"}).help);
  CHECK(parse({"--help"}).help);
}

TEST_CASE("-d all and -o all sweep in nccl-tests' order", "[bench][flags]") {
  const Options o = parse({"-d", "all", "-o", "all"}).options;
  CHECK(o.types == std::vector<weftDataType_t>{weftInt8, weftUint8, weftInt32, weftUint32,
                                               weftInt64, weftUint64, weftFloat16, weftFloat32,
                                               weftFloat64, weftBfloat16});
  CHECK(o.ops == std::vector<weftRedOp_t>{weftSum, weftProd, weftMax, weftMin, weftAvg});
  CHECK(parse({"-d", "bfloat16"}).options.types == std::vector<weftDataType_t>{weftBfloat16});
  CHECK(parse({"-d", "half"}).options.types == std::vector<weftDataType_t>{weftFloat16});
  CHECK(parse({"-o", "avg"}).options.ops == std::vector<weftRedOp_t>{weftAvg});
}

TEST_CASE("-r takes a rank, -1 or all", "[bench][flags]") {
  CHECK(parse({"-r", "3"}).options.root == 3);
  CHECK(parse({"-r", "all"}).options.root == kAllRoots);
  CHECK(parse({"-r", "-1"}).options.root == kAllRoots);
}

TEST_CASE("bad values are refused with the flag's name", "[bench][flags]") {
  using Catch::Matchers::Contains;
  CHECK_THAT(errorOf({"-d", "float17"}), Contains("-d/--datatype") && Contains("float17"));
  CHECK_THAT(errorOf({"-o", "xor"}), Contains("-o/--op"));
  CHECK_THAT(errorOf({"-b", "lots"}), Contains("-b/--minbytes"));
  CHECK_THAT(errorOf({"-n", "0"}), Contains("-n/--iters"));
  CHECK_THAT(errorOf({"-n", "5x"}), Contains("-n/--iters"));
  CHECK_THAT(errorOf({"-a", "4"}), Contains("-a/--average"));
  CHECK_THAT(errorOf({"-g", "2"}), Contains("-g/--ngpus"));
  CHECK_THAT(errorOf({"-t", "0"}), Contains("-t/--nthreads"));
  CHECK_THAT(errorOf({"-r", "-2"}), Contains("-r/--root"));
  CHECK_THAT(errorOf({"-z", "2"}), Contains("-z/--blocking"));
  CHECK_THAT(errorOf({"-q", "1"}), Contains("unknown option '-q'"));
  CHECK_THAT(errorOf({"--bogus=1"}), Contains("unknown option"));
  CHECK_THAT(errorOf({"stray"}), Contains("unexpected argument 'stray'"));
  CHECK_THAT(errorOf({"-b"}), Contains("needs a value"));
  CHECK_THAT(errorOf({"-b", "64M", "-e", "8"}), Contains("minbytes"));
  CHECK_THAT(errorOf({"-b", "0", "-e", "8", "-f", "2"}), Contains("never grows"));
  CHECK_THAT(errorOf({"-b", "8", "-e", "64", "-i", "0"}), Contains("never grows"));
}

TEST_CASE("size sequences follow nccl-tests' loop", "[bench][flags]") {
  Options o;
  o.minBytes = 8;
  o.maxBytes = 64;
  o.stepFactor = 2;
  CHECK(sizeSequence(o) == std::vector<size_t>{8, 16, 32, 64});
  o.maxBytes = 100;  // the last size is the largest not above -e
  CHECK(sizeSequence(o) == std::vector<size_t>{8, 16, 32, 64});
  o.stepFactor = 4;
  o.maxBytes = 64 * kMiB;
  const auto sizes = sizeSequence(o);
  REQUIRE(sizes.size() == 12);  // 8 B, 32 B, ..., 32 MiB (128 MiB is above -e)
  CHECK(sizes.front() == 8);
  CHECK(sizes.back() == 32 * kMiB);

  o.stepFactor = 1;  // factor 1 (or 0) means: add -i
  o.minBytes = 0;
  o.maxBytes = 3 * kMiB;
  o.stepBytes = kMiB;
  CHECK(sizeSequence(o) == std::vector<size_t>{0, kMiB, 2 * kMiB, 3 * kMiB});
  o.stepBytes = 2 * kMiB;
  CHECK(sizeSequence(o) == std::vector<size_t>{0, 2 * kMiB});

  o.minBytes = o.maxBytes = 0;  // a single empty size
  o.stepFactor = 2;
  CHECK(sizeSequence(o) == std::vector<size_t>{0});

  o.minBytes = size_t{1} << 62;  // no overflow past the top
  o.maxBytes = ~size_t{0};
  o.stepFactor = 8;
  CHECK(sizeSequence(o) == std::vector<size_t>{size_t{1} << 62});
}

TEST_CASE("-J, -A and -s: report file, forced algorithm, statistics", "[bench][flags]") {
  const Options none = parse({}).options;
  CHECK(none.outputFile.empty());
  CHECK(none.algorithm.empty());
  CHECK_FALSE(none.stats);
  CHECK(none.commandLine == std::vector<std::string>{"all_reduce_perf"});

  const Options o = parse({"-J", "/tmp/x.json", "-A", "ring", "-s", "1"}).options;
  CHECK(o.outputFile == "/tmp/x.json");
  CHECK(o.algorithm == "ring");
  CHECK(o.stats);
  CHECK(o.commandLine == std::vector<std::string>{"all_reduce_perf", "-J", "/tmp/x.json", "-A",
                                                  "ring", "-s", "1"});

  const Options l = parse({"--output_file=r.json", "--algorithm", "halving_doubling", "--stats=0"}).options;
  CHECK(l.outputFile == "r.json");
  CHECK(l.algorithm == "halving_doubling");
  CHECK_FALSE(l.stats);
  CHECK(parse({"-Atree"}).options.algorithm == "tree");

  using Catch::Matchers::Contains;
  // A name that could smuggle more rules into WEFT_ALGO is refused before weft sees it.
  CHECK_THAT(errorOf({"-A", "ring,broadcast:tree"}), Contains("-A/--algorithm"));
  CHECK_THAT(errorOf({"-A", "allreduce:ring"}), Contains("-A/--algorithm"));
  CHECK_THAT(errorOf({"-A", "0-64K=ring"}), Contains("-A/--algorithm"));
  CHECK_THAT(errorOf({"-A", ""}), Contains("-A/--algorithm"));
  CHECK_THAT(errorOf({"-J", ""}), Contains("-J/--output_file"));
  CHECK_THAT(errorOf({"-s", "2"}), Contains("-s/--stats"));
  CHECK_THAT(errorOf({"-J"}), Contains("needs a value"));
  // nccl-tests' -S (timestamps) means something else: not silently taken as -s.
  CHECK_THAT(errorOf({"-S", "1"}), Contains("unknown option '-S'"));

  CHECK(isAlgorithmName("ring"));
  CHECK(isAlgorithmName("halving_doubling"));
  CHECK(isAlgorithmName("Ring2"));
  CHECK_FALSE(isAlgorithmName(""));
  CHECK_FALSE(isAlgorithmName("ring;tree"));
  CHECK_FALSE(isAlgorithmName("a b"));
  CHECK_FALSE(isAlgorithmName("*=ring"));
}

TEST_CASE("usage lists the new flags", "[bench][flags]") {
  const std::string text = usage("all_reduce_perf");
  using Catch::Matchers::Contains;
  CHECK_THAT(text, Contains("[-J,--output_file <file.json>]"));
  CHECK_THAT(text, Contains("[-A,--algorithm <name>]"));
  CHECK_THAT(text, Contains("[-s,--stats <0/1>]"));
}

TEST_CASE("--mem takes host or cuda, and defaults to choosing", "[bench][flags]") {
  CHECK(parse({}).options.memory == Memory::Auto);
  CHECK(parse({"--mem", "host"}).options.memory == Memory::Host);
  CHECK(parse({"--mem=cuda"}).options.memory == Memory::Cuda);
  CHECK(parse({"-Dcuda"}).options.memory == Memory::Cuda);
  using Catch::Matchers::Contains;
  CHECK_THAT(errorOf({"--mem", "gpu"}), Contains("-D/--mem: expected host or cuda"));
  CHECK_THAT(usage("all_reduce_perf"), Contains("[-D,--mem <host/cuda>]"));
}
