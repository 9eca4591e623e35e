// SPDX-License-Identifier: Apache-2.0
// Tests of the -J report: it is valid JSON with nccl-tests' keys, and it is written atomically.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

#include "bench/common/output_file.h"
#include "bench/common/report.h"

using namespace weft::bench;
using Catch::Matchers::Contains;

namespace {

// A strict recursive-descent JSON checker (RFC 8259 grammar, no extensions), so that the tests
// need no JSON library: returns whether text is exactly one JSON value.
class JsonChecker {
 public:
  explicit JsonChecker(std::string_view text) : s_(text) {}
  bool valid() {
    pos_ = 0;
    return value() && (space(), pos_ == s_.size());
  }

 private:
  void space() {
    while (pos_ < s_.size() && std::strchr(" \t\r\n", s_[pos_]) != nullptr) ++pos_;
  }
  bool eat(char c) {
    space();
    if (pos_ < s_.size() && s_[pos_] == c) return ++pos_, true;
    return false;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }
  bool digits() {
    const size_t start = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    return pos_ > start;
  }
  bool number() {
    if (pos_ < s_.size() && s_[pos_] == '-') ++pos_;
    if (pos_ < s_.size() && s_[pos_] == '0') {
      ++pos_;
    } else if (!digits()) {
      return false;
    }
    if (pos_ < s_.size() && s_[pos_] == '.' && (++pos_, !digits())) return false;
    if (pos_ < s_.size() && (s_[pos_] == 'e' || s_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < s_.size() && (s_[pos_] == '+' || s_[pos_] == '-')) ++pos_;
      if (!digits()) return false;
    }
    return true;
  }
  bool string() {
    if (!eat('"')) return false;
    while (pos_ < s_.size()) {
      const auto c = static_cast<unsigned char>(s_[pos_++]);
      if (c == '"') return true;
      if (c < 0x20) return false;
      if (c != '\\') continue;
      if (pos_ >= s_.size()) return false;
      const char e = s_[pos_++];
      if (e == 'u') {
        for (int i = 0; i < 4; ++i, ++pos_) {
          if (pos_ >= s_.size() || !std::isxdigit(static_cast<unsigned char>(s_[pos_]))) return false;
        }
      } else if (std::strchr("\"\\/bfnrt", e) == nullptr) {
        return false;
      }
    }
    return false;
  }
  template <class Item>
  bool sequence(char close, Item item) {
    if (eat(close)) return true;
    do {
      if (!item()) return false;
    } while (eat(','));
    return eat(close);
  }
  bool value() {
    space();
    if (pos_ >= s_.size()) return false;
    switch (s_[pos_]) {
      case '{':
        ++pos_;
        return sequence('}', [&] { return string() && eat(':') && value(); });
      case '[':
        ++pos_;
        return sequence(']', [&] { return value(); });
      case '"': return string();
      case 't': return literal("true");
      case 'f': return literal("false");
      case 'n': return literal("null");
      default: return number();
    }
  }

  std::string_view s_;
  size_t pos_ = 0;
};

bool isJson(std::string_view text) { return JsonChecker(text).valid(); }

RunRecord sampleRun() {
  RunRecord run;
  run.program = "all_reduce_perf";
  run.collective = "AllReduce";
  run.ranks = 2;
  run.options.nThreads = 2;
  run.options.minBytes = 8;
  run.options.maxBytes = 64;
  run.options.stepFactor = 8;
  run.options.types = {weftFloat32, weftInt8};
  run.options.ops = {weftSum, weftMax};
  run.options.algorithm = "ring";
  run.options.stats = true;
  run.options.commandLine = {"bench/all_reduce_perf", "-t", "2", "-J", "dir \"q\"\\x.json"};
  run.startTime = "2026-01-01T00:00:00Z";
  run.endTime = "2026-01-01T00:00:01Z";
  run.devices = {{.rank = 0, .pid = 100, .host = "node\t1"}, {.rank = 1, .pid = 101, .host = "node\t1"}};
  const GroupResult outOfPlace{.timeUs = 12.5, .algbw = 0.005, .busbw = 0.005, .wrong = 0,
                               .stats = IterationStats{10, 12, 30, 31}};
  const GroupResult inPlace{.timeUs = 11.0, .algbw = 0.0058, .busbw = 0.0058, .wrong = 3,
                            .stats = std::nullopt};
  const GroupResult notChecked{.timeUs = 1.0, .algbw = 0.008, .busbw = 0.008, .wrong = std::nullopt,
                               .stats = std::nullopt};
  const RowRecord checked{.bytes = 64, .count = 16, .type = "float", .redop = "sum", .root = -1,
                          .outOfPlace = outOfPlace, .inPlace = inPlace};
  const RowRecord unchecked{.bytes = 8, .count = 2, .type = "int8", .redop = "max", .root = -1,
                            .outOfPlace = notChecked, .inPlace = std::nullopt};
  run.rows = {checked, unchecked};  // unchecked: nwrong null, no in-place group
  run.outOfBounds = 1;
  run.avgBusBw = 0.0063;
  return run;
}

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// A fresh directory under TMPDIR (or /tmp), removed with its files at the end of the test.
class TempDir {
 public:
  TempDir() {
    const char* base = std::getenv("TMPDIR");
    std::string templ = std::string(base != nullptr && base[0] != '\0' ? base : "/tmp") + "/benchjson.XXXXXX";
    REQUIRE(::mkdtemp(templ.data()) != nullptr);
    path_ = templ;
  }
  ~TempDir() {
    for (const char* name : {"/r.json", "/sub"}) {
      const std::string p = path_ + name;
      ::unlink(p.c_str());
      ::rmdir(p.c_str());
    }
    ::rmdir(path_.c_str());
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace

TEST_CASE("the checker itself tells JSON from near misses", "[bench][report]") {
  CHECK(isJson(R"({"a": [1, -2.5e+3, true, null, "x\"\u00e9"], "b": {}})"));
  CHECK_FALSE(isJson(R"({"a": 1,})"));      // trailing comma
  CHECK_FALSE(isJson(R"({"a" 1})"));        // no colon
  CHECK_FALSE(isJson(R"(["a\q"])"));        // bad escape
  CHECK_FALSE(isJson("[\"tab\there\"]"));   // raw control character
  CHECK_FALSE(isJson("[nan]"));
  CHECK_FALSE(isJson("[01]"));
  CHECK_FALSE(isJson("{} {}"));
}

TEST_CASE("the report is valid JSON with every column of every row", "[bench][report]") {
  const std::string text = reportJson(sampleRun());
  CHECK(isJson(text));
  // Run parameters, in nccl-tests' keys where it has them.
  CHECK_THAT(text, Contains(R"("version": 1,)"));
  CHECK_THAT(text, Contains(R"("program": "all_reduce_perf")"));
  CHECK_THAT(text, Contains(R"("dir \"q\"\\x.json")"));
  CHECK_THAT(text, Contains(R"("collective": "AllReduce")"));
  CHECK_THAT(text, Contains(R"("ranks": 2)"));
  CHECK_THAT(text, Contains(R"("host": "node\t1")"));
  CHECK_THAT(text, Contains(R"("nthreads": 2)"));
  CHECK_THAT(text, Contains(R"("step_factor": 8)"));
  CHECK_THAT(text, Contains(R"("iterations": 20)"));
  CHECK_THAT(text, Contains(R"("average": "mean")"));
  CHECK_THAT(text, Contains("\"datatypes\": [\n      \"float\",\n      \"int8\"\n    ]"));
  CHECK_THAT(text, Contains(R"("algorithm": "ring")"));
  CHECK_THAT(text, Contains(R"("stats": true)"));
  CHECK_THAT(text, Contains(R"("pid": 101)"));
  // Rows: the five leading columns and both groups.
  CHECK_THAT(text, Contains("\"size\": 64,\n      \"count\": 16,\n      \"type\": \"float\",\n"
                            "      \"redop\": \"sum\",\n      \"root\": -1,"));
  CHECK_THAT(text, Contains("\"out_of_place\": {\n        \"time\": 12.5,\n        \"alg_bw\": 0.005,\n"
                            "        \"bus_bw\": 0.005,\n        \"nwrong\": 0,\n        \"time_stats\": {\n"
                            "          \"min\": 10,\n          \"p50\": 12,\n          \"p99\": 30,\n"
                            "          \"max\": 31\n        }\n      }"));
  CHECK_THAT(text, Contains(R"("nwrong": 3)"));
  CHECK_THAT(text, Contains(R"("nwrong": null)"));   // -c 0
  CHECK_THAT(text, Contains(R"("in_place": null)"));  // no in-place form
  // Footer.
  CHECK_THAT(text, Contains("\"out_of_bounds\": {\n    \"count\": 1,\n    \"okay\": false\n  }"));
  CHECK_THAT(text, Contains("\"average_bus_bandwidth\": {\n    \"bandwidth\": 0.0063\n  }"));
  CHECK_THAT(text, Contains(R"("end_time": "2026-01-01T00:00:01Z")"));
}

TEST_CASE("the report's optional parts", "[bench][report]") {
  RunRecord run = sampleRun();
  run.options.algorithm.clear();
  run.options.stats = false;
  run.options.stepFactor = 1;
  run.options.root = kAllRoots;
  run.options.average = Average::Rank0;
  run.rows.clear();
  run.devices.clear();
  const std::string text = reportJson(run);
  CHECK(isJson(text));
  CHECK_THAT(text, Contains(R"("algorithm": null)"));
  CHECK_THAT(text, Contains(R"("step_bytes": 1048576)"));
  CHECK_THAT(text, Contains(R"("root": "all")"));
  CHECK_THAT(text, Contains(R"("average": "rank0")"));
  CHECK_THAT(text, Contains(R"("results": [])"));
  CHECK_THAT(text, Contains(R"("host": "")"));
}

TEST_CASE("utcNow is ISO 8601 in UTC", "[bench][report]") {
  const std::string now = utcNow();
  REQUIRE(now.size() == 20);
  CHECK(now[4] == '-');
  CHECK(now[10] == 'T');
  CHECK(now.back() == 'Z');
}

TEST_CASE("report files are replaced atomically and leave no temporary file", "[bench][report]") {
  TempDir dir;
  const std::string path = dir.path() + "/r.json";
  CHECK(temporaryPathFor(path) == path + ".tmp." + std::to_string(::getpid()));
  checkWritable(path);
  CHECK(::access(path.c_str(), F_OK) != 0);  // the probe leaves nothing behind
  CHECK(::access(temporaryPathFor(path).c_str(), F_OK) != 0);

  writeFileAtomically(path, "{\"old\": 1}\n");
  CHECK(readFile(path) == "{\"old\": 1}\n");
  writeFileAtomically(path, "{}\n");
  CHECK(readFile(path) == "{}\n");
  CHECK(::access(temporaryPathFor(path).c_str(), F_OK) != 0);

  // A directory in the way, or one that does not exist, is refused with the path in the message.
  const std::string sub = dir.path() + "/sub";
  REQUIRE(::mkdir(sub.c_str(), 0700) == 0);
  CHECK_THROWS_WITH(checkWritable(sub), Contains(sub));
  CHECK_THROWS_AS(writeFileAtomically(sub, "{}"), std::system_error);
  CHECK_THROWS_WITH(checkWritable(dir.path() + "/missing/r.json"), Contains("missing/r.json"));
  CHECK(readFile(path) == "{}\n");
}
