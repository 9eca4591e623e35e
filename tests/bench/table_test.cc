// SPDX-License-Identifier: Apache-2.0
// Tests of the perf tools' output layout (nccl-tests' widths and number formats) and bandwidth math.
#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

#include "bench/common/bandwidth.h"
#include "bench/common/table.h"

using namespace weft::bench;

namespace {

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

}  // namespace

TEST_CASE("busbw factors are nccl-tests' factors", "[bench][table]") {
  CHECK(allReduceBusFactor(1) == 0.0);
  CHECK(allReduceBusFactor(2) == 1.0);
  CHECK(allReduceBusFactor(4) == 1.5);
  CHECK(allReduceBusFactor(8) == 1.75);
  CHECK(broadcastBusFactor(1) == 1.0);
  CHECK(broadcastBusFactor(8) == 1.0);
  CHECK(reduceBusFactor(8) == 1.0);
  CHECK(sendRecvBusFactor(2) == 1.0);
  for (double (*factor)(int) : {allGatherBusFactor, reduceScatterBusFactor, allToAllBusFactor,
                                scatterBusFactor, gatherBusFactor}) {
    CHECK(factor(1) == 0.0);
    CHECK(factor(2) == 0.5);
    CHECK(factor(4) == 0.75);
    CHECK(factor(8) == 0.875);
  }
  // 1 GB in 0.5 s is 2 GB/s (decimal giga, as nccl-tests).
  CHECK(algBandwidth(1000000000, 0.5) == Approx(2.0));
  CHECK(algBandwidth(0, 1e-6) == 0.0);
}

TEST_CASE("rows line up with nccl-tests' columns", "[bench][table]") {
  const std::string prefix = rowPrefix(8, 2, "float", "sum", -1);
  CHECK(prefix == "           8             2     float     sum      -1");
  CHECK(rowPrefix(33554432, 8388608, "bfloat16", "none", 3) ==
        "    33554432       8388608  bfloat16    none       3");

  CHECK(formatTime(12.345) == "  12.35");
  CHECK(formatTime(99.994) == "  99.99");
  CHECK(formatTime(100.0) == "  100.0");
  CHECK(formatTime(9999.94) == " 9999.9");
  CHECK(formatTime(10000.0) == "  10000");
  CHECK(formatTime(1234567.0) == "1234567");

  CHECK(resultCell(36.46, 0.0, 0.0, 0) == "    36.46    0.00    0.00      0");
  CHECK(resultCell(1234.5, 27.18, 40.77, 17) == "   1234.5   27.18   40.77     17");
  CHECK(resultCell(36.46, 0.0, 0.0, std::nullopt) == "    36.46    0.00    0.00    N/A");
  // A group that was not run keeps the row's field count and width.
  CHECK(unmeasuredCell() == "      N/A     N/A     N/A    N/A");
  CHECK(unmeasuredCell().size() == resultCell(36.46, 0.0, 0.0, 0).size());
}

TEST_CASE("the header's labels sit over the row's columns", "[bench][table]") {
  const auto header = lines(headerLines());
  REQUIRE(header.size() == 3);
  CHECK(header[0].find("out-of-place") != std::string::npos);
  CHECK(header[0].find("in-place") > header[0].find("out-of-place"));
  const std::string row = rowPrefix(8, 2, "float", "sum", -1) + resultCell(36.46, 0, 0, 0) +
                          resultCell(35.05, 0, 0, 0);
  // Each label ends where its column ends in a row (right-aligned), except "#wrong", which is one
  // wider than its values, as in nccl-tests.
  const auto endOf = [](const std::string& line, const std::string& label, size_t from = 0) {
    const size_t at = line.find(label, from);
    REQUIRE(at != std::string::npos);
    return at + label.size();
  };
  const auto rowEnd = [&](const std::string& value, size_t from = 0) { return endOf(row, value, from); };
  CHECK(endOf(header[1], "size") == rowEnd("8"));
  CHECK(endOf(header[1], "count") == rowEnd(" 2"));
  CHECK(endOf(header[1], "type") == rowEnd("float"));
  CHECK(endOf(header[1], "redop") == rowEnd("sum"));
  CHECK(endOf(header[1], "root") == rowEnd("-1"));
  CHECK(endOf(header[1], "time") == rowEnd("36.46"));
  CHECK(endOf(header[1], "#wrong") == rowEnd("0", rowEnd("36.46") + 16));
  CHECK(endOf(header[2], "(B)") == rowEnd("8"));
  CHECK(endOf(header[2], "(elements)") == rowEnd(" 2"));
  CHECK(endOf(header[2], "(us)") == rowEnd("36.46"));
  CHECK(endOf(header[1], "time", endOf(header[1], "#wrong")) == rowEnd("35.05"));
  CHECK(header[1].size() == row.size());
}

TEST_CASE("parameter line, device line and footer", "[bench][table]") {
  Options o;
  o.minBytes = 8;
  o.maxBytes = 64 * kMiB;
  o.stepFactor = 4;
  CHECK(parameterLine(o) ==
        "# nThread 1 nGpus 1 minBytes 8 maxBytes 67108864 step: 4(factor) warmup iters: 5 "
        "iters: 20 agg iters: 1 validation: 1 graph: 0\n");
  o.stepFactor = 1;
  CHECK(parameterLine(o).find("step: 1048576(bytes)") != std::string::npos);
  CHECK(deviceLine(3, 4242, "node7") == "#  Rank  3 Group  0 Pid   4242 on      node7 device cpu\n");
  CHECK(footerLines(0, 12.5) ==
        "# Out of bounds values : 0 OK\n# Avg bus bandwidth    : 12.5\n#\n");
  CHECK(footerLines(3, 0.25) ==
        "# Out of bounds values : 3 FAILED\n# Avg bus bandwidth    : 0.25\n#\n");
}

TEST_CASE("-A names the forced algorithm at the end of the parameter line", "[bench][table]") {
  Options o;
  const std::string plain = parameterLine(o);
  o.algorithm = "ring";
  CHECK(parameterLine(o) == plain.substr(0, plain.size() - 1) + " algorithm: ring\n");
}

TEST_CASE("the -s table is commented and lines up with the main table", "[bench][table]") {
  const auto header = lines(statsHeaderLines(20, Average::Mean));
  REQUIRE(header.size() == 4);
  CHECK(header[0] == "#");
  CHECK(header[1] == "# Per-iteration time (us): min, p50, p99, max of 20 iterations, each the mean "
                     "over ranks of its time per operation");
  CHECK(lines(statsHeaderLines(5, Average::Rank0))[1].find("5 iterations, each rank 0's") !=
        std::string::npos);
  CHECK(lines(statsHeaderLines(5, Average::Max))[1].find("the max over ranks") != std::string::npos);

  const IterationStats s{.min = 10.0, .p50 = 12.5, .p99 = 150.0, .max = 20000.0};
  const std::string row = statsRow(8, 2, "float", "sum", -1, s, std::nullopt);
  CHECK(row == "#          8             2     float     sum      -1    10.00    12.50    150.0    20000"
               "      N/A      N/A      N/A      N/A\n");
  // Every line is a comment, so scripts that read nccl-tests' rows skip the whole table.
  for (const std::string& line : header) CHECK(line[0] == '#');
  // The leading columns sit where the main table's do, and the labels over their values.
  const std::string mainRow = rowPrefix(8, 2, "float", "sum", -1);
  CHECK(row.substr(1, mainRow.size() - 1) == mainRow.substr(1));
  const auto endOf = [](const std::string& line, const std::string& label, size_t from = 0) {
    const size_t at = line.find(label, from);
    REQUIRE(at != std::string::npos);
    return at + label.size();
  };
  CHECK(endOf(header[3], "root") == endOf(row, "-1"));
  CHECK(endOf(header[3], "min") == endOf(row, "10.00"));
  CHECK(endOf(header[3], "max") == endOf(row, "20000"));
  CHECK(endOf(header[3], "max", endOf(header[3], "max")) == row.size() - 1);
  CHECK(header[2].find("in-place") > header[2].find("out-of-place"));
}
