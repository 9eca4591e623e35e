// SPDX-License-Identifier: Apache-2.0
// A rank that crashes mid-job under weftrun: weftrun names it, stops the others quickly, and
// leaves no process and no shared memory of the job behind.
#include <signal.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace fs = std::filesystem;

namespace {

const std::string kWeftrun = WEFT_TEST_WEFTRUN;
const std::string kCrashRank = WEFT_TEST_CRASH_RANK;

bool processGone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }


}  // namespace

TEST_CASE("weftrun: a rank that aborts after init stops the job, named, within seconds", "[multiproc]") {
  constexpr int kRanks = 4;
  weft::test::TempDir dir;
  const weft::test::ProcessResult r =
      weft::test::Subprocess({kWeftrun, "-n", std::to_string(kRanks), "--grace", "1", kCrashRank, dir.path().string()})
          .wait(std::chrono::seconds(30));
  INFO("weftrun exit " << r.exitCode << " signal " << r.signal << " after " << r.elapsed.count() << " s; stderr:\n" << r.err);
  std::vector<pid_t> pids;
  for (int rank = 0; rank < kRanks; ++rank) {
    const std::string text = weft::test::readFile(dir.path() / ("pid-" + std::to_string(rank)));
    if (!text.empty()) pids.push_back(pid_t(std::stol(text)));
  }
  REQUIRE(pids.size() == size_t(kRanks));
  CHECK(r.signal == 0);
  CHECK(r.exitCode == 128 + SIGABRT);
  CHECK(r.err.find("rank 2 ") != std::string::npos);
  CHECK(r.elapsed.count() < 10);
  for (pid_t p : pids) CHECK(processGone(p));
  CHECK(weft::test::shmLeftovers(pids).empty());
}
