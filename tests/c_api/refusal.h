// SPDX-License-Identifier: Apache-2.0
// Helpers of the invalid-argument tests: record each call's result, capture stdout, two-rank runs.
#pragma once

#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "runtime/weft.hpp"
#include "tests/support/ranks.h"

namespace {

struct Outcome {
  std::string call;
  std::string function;  // the entry point, which the message should name
  weftResult_t code;
  std::string message;
};

// Sends fd 1 to a temporary file for a scope; text() gives what was written there.
class StdoutCapture {
 public:
  StdoutCapture() : file_(std::tmpfile()) {
    std::fflush(stdout);
    saved_ = ::dup(1);
    if (file_ && saved_ >= 0) ::dup2(::fileno(file_), 1);
  }
  ~StdoutCapture() { restore(); if (file_) std::fclose(file_); }
  StdoutCapture(const StdoutCapture&) = delete;
  StdoutCapture& operator=(const StdoutCapture&) = delete;

  bool active() const { return file_ != nullptr && saved_ >= 0; }
  std::string text() {
    restore();
    std::string out;
    if (!file_) return out;
    std::rewind(file_);
    char buf[4096];
    for (size_t n; (n = std::fread(buf, 1, sizeof(buf), file_)) > 0;) out.append(buf, n);
    return out;
  }

 private:
  void restore() {
    if (saved_ < 0) return;
    std::fflush(stdout);
    ::dup2(saved_, 1);
    ::close(saved_);
    saved_ = -1;
  }
  FILE* file_;
  int saved_ = -1;
};

// Collects outcomes while stdout is captured; the assertions come after (Catch2 writes to stdout).
class Recorder {
 public:
  void operator()(std::string call, std::string function, weftResult_t code) {
    outcomes_.push_back({std::move(call), std::move(function), code, weftGetLastError(nullptr)});
  }
  const std::vector<Outcome>& outcomes() const { return outcomes_; }

 private:
  std::vector<Outcome> outcomes_;
};

void requireInvalid(const std::vector<Outcome>& outcomes) {
  for (const Outcome& o : outcomes) {
    INFO(o.call << " -> " << int(o.code) << ": " << o.message);
    CHECK(o.code == weftInvalidArgument);
    CHECK(o.message.find(o.function) != std::string::npos);
  }
}

// Runs calls(rec) with stdout captured, then requires every recorded call to be refused with a
// message naming its function, and nothing printed.
template <class Calls>
void requireRefused(Calls&& calls) {
  Recorder rec;
  std::string printed;
  {
    StdoutCapture capture;
    REQUIRE(capture.active());
    calls(rec);
    printed = capture.text();
  }
  CHECK(printed == "");
  requireInvalid(rec.outcomes());
}

// Communicators for the newer calls' cases: one rank, two thread ranks (for what depends on the
// rank count or the root), and the handle of a destroyed one.
struct Comms {
  Comms() {
    weftComm_t c = nullptr;
    weft::check(weftCommInitAll(&c, 1, nullptr));
    weft::check(weftCommDestroy(c));
    dead = c;
  }
  std::vector<weft::Comm> ones = weft::Comm::initAll(1);
  std::vector<weft::Comm> twos = weft::Comm::initAll(2);
  weftComm_t one() const { return ones[0].get(); }
  weftComm_t two(int rank) const { return twos[size_t(rank)].get(); }
  weftComm_t dead = nullptr;
};

// Runs call(comm, rank) on both ranks of a two-rank communicator; returns each rank's result.
template <class Call>
std::vector<weftResult_t> onTwoRanks(std::vector<weft::Comm>& comms, Call&& call) {
  std::vector<weftResult_t> codes(2, weftInternalError);
  weft::test::onEachRank(comms, [&](weft::Comm& c, int rank) { codes[size_t(rank)] = call(c.get(), rank); });
  return codes;
}

const std::vector<weftResult_t> kBothSucceed{weftSuccess, weftSuccess};
const auto kStream = reinterpret_cast<weftStream_t>(0x1);
// count * sizeof(float) fits in size_t, count * 2 ranks * sizeof(float) does not.
constexpr size_t kOverflowsTwoRanks = SIZE_MAX / sizeof(float) / 2 + 1;
constexpr size_t kOverflowsOneRank = SIZE_MAX / sizeof(float) + 1;

}  // namespace
