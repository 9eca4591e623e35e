// SPDX-License-Identifier: Apache-2.0
// End-to-end tests of weftrun with real processes: rank environment, failures, signals, cleanup, output.
#include <arpa/inet.h>
#include <sched.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace fs = std::filesystem;
using weft::test::ProcessResult;
using weft::test::Subprocess;
using weft::test::TempDir;

namespace {

// Paths of the built programs, compiled in by tests/tools/meson.build.
const std::string kWeftrun = WEFT_TEST_WEFTRUN;
const std::string kProbe = WEFT_TEST_RANK_PROBE;
const std::string kFault = WEFT_TEST_RANK_FAULT;

std::map<std::string, std::string> readKeyValues(const fs::path& path) {
  std::map<std::string, std::string> out;
  for (const auto& line : weft::test::splitLines(weft::test::readFile(path))) {
    const auto eq = line.find('=');
    if (eq != std::string::npos) out[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return out;
}

// The pids that ranks published as DIR/pid-<rank>.
std::vector<pid_t> publishedPids(const fs::path& dir, int worldSize) {
  std::vector<pid_t> pids;
  for (int r = 0; r < worldSize; ++r) {
    const std::string text = weft::test::readFile(dir / ("pid-" + std::to_string(r)));
    if (!text.empty()) pids.push_back(static_cast<pid_t>(std::stol(text)));
  }
  return pids;
}

bool processGone(pid_t pid) { return ::kill(pid, 0) != 0 && errno == ESRCH; }

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Runs rank_fault MODE under weftrun and checks what every failure test shares: all ranks had
// started, and none of them is left afterwards.
ProcessResult runFault(const std::string& mode, int worldSize, std::vector<pid_t>& pids,
                       std::vector<std::string> extraOptions = {}) {
  TempDir dir;
  std::vector<std::string> argv = {kWeftrun, "-n", std::to_string(worldSize)};
  argv.insert(argv.end(), extraOptions.begin(), extraOptions.end());
  argv.insert(argv.end(), {kFault, mode, dir.path().string()});
  ProcessResult result = weft::test::run(argv);
  pids = publishedPids(dir.path(), worldSize);
  INFO("weftrun stderr: " << result.err);
  REQUIRE(pids.size() == static_cast<size_t>(worldSize));
  for (pid_t pid : pids) CHECK(processGone(pid));
  return result;
}

// A TCP port nobody listens on now (another process may take it before we do; tests accept that).
int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
  ::close(fd);
  return ntohs(a.sin_port);
}

}  // namespace

TEST_CASE("every rank gets its identity and one shared job key", "[tools][weftrun]") {
  constexpr int kRanks = 4;
  ::setenv("WEFT_TEST_MARKER", "passed-through", 1);
  ::setenv("RANK", "99", 1);  // weftrun's value must win over an inherited one
  std::string firstJobId;
  for (int job = 0; job < 2; ++job) {
    TempDir dir;
    const ProcessResult result =
        weft::test::run({kWeftrun, "-n", std::to_string(kRanks), kProbe, "env", dir.path()});
    INFO("weftrun stderr: " << result.err);
    REQUIRE(result.exitCode == 0);

    std::set<std::string> pids;
    const auto rank0 = readKeyValues(dir.path() / "env-0");
    for (int r = 0; r < kRanks; ++r) {
      auto env = readKeyValues(dir.path() / ("env-" + std::to_string(r)));
      REQUIRE(env.size() == 11);
      CHECK(env["GROUP_RANK"] == "0");
      CHECK(env["RANK"] == std::to_string(r));
      CHECK(env["LOCAL_RANK"] == std::to_string(r));
      CHECK(env["WORLD_SIZE"] == std::to_string(kRanks));
      CHECK(env["LOCAL_WORLD_SIZE"] == std::to_string(kRanks));
      CHECK(env["MASTER_ADDR"] == "127.0.0.1");
      CHECK(env["MASTER_PORT"] == rank0.at("MASTER_PORT"));
      CHECK(env["WEFT_JOB_ID"] == rank0.at("WEFT_JOB_ID"));
      CHECK(env["WEFT_TEST_MARKER"] == "passed-through");
      pids.insert(env["PID"]);
      CHECK(processGone(std::stoi(env["PID"])));
    }
    CHECK(pids.size() == kRanks);
    const int port = std::stoi(rank0.at("MASTER_PORT"));
    CHECK(port > 0);
    CHECK(port < 65536);
    const std::string jobId = rank0.at("WEFT_JOB_ID");
    CHECK(jobId.size() == 16);
    CHECK(jobId.find_first_not_of("0123456789abcdef") == std::string::npos);
    if (job == 0) firstJobId = jobId;
    if (job == 1) CHECK(jobId != firstJobId);
  }
  ::unsetenv("RANK");
  ::unsetenv("WEFT_TEST_MARKER");
}

// The CPUs in a CPUS=0,1,... line of rank_probe.
std::vector<int> cpuList(const std::string& text) {
  std::vector<int> cpus;
  for (size_t at = 0; at < text.size();) {
    const size_t comma = std::min(text.find(',', at), text.size());
    cpus.push_back(std::stoi(text.substr(at, comma - at)));
    at = comma + 1;
  }
  return cpus;
}

TEST_CASE("--bind-to core gives every rank its share of weftrun's CPUs, none leaves them", "[tools][weftrun]") {
  cpu_set_t own;
  REQUIRE(::sched_getaffinity(0, sizeof own, &own) == 0);
  std::vector<int> mine;  // weftrun inherits this process's CPUs
  for (int c = 0; c < CPU_SETSIZE; ++c) {
    if (CPU_ISSET(c, &own)) mine.push_back(c);
  }
  const int cpus = int(mine.size());
  for (const int ranks : {1, 2, cpus, cpus + 1, 2 * cpus + 1}) {
    for (const std::string bind : {"", "--bind-to=core", "--bind-to=none"}) {
      TempDir dir;
      std::vector<std::string> argv = {kWeftrun, "-n", std::to_string(ranks)};
      if (!bind.empty()) argv.push_back(bind);
      argv.insert(argv.end(), {kProbe, "env", dir.path().string()});
      const ProcessResult result = weft::test::run(argv);
      INFO("ranks " << ranks << " " << bind << "; weftrun stderr: " << result.err);
      REQUIRE(result.exitCode == 0);
      std::map<int, int> uses;  // CPU -> ranks given it
      std::vector<size_t> sizes;
      for (int r = 0; r < ranks; ++r) {
        const std::vector<int> got = cpuList(readKeyValues(dir.path() / ("env-" + std::to_string(r)))["CPUS"]);
        if (bind == "--bind-to=none") {
          CHECK(got == mine);
          continue;
        }
        sizes.push_back(got.size());
        for (int c : got) ++uses[c];
      }
      if (bind == "--bind-to=none") continue;
      // Every CPU of weftrun's is used, no other; slices differ by at most one CPU, and so do
      // the numbers of ranks on each CPU when ranks outnumber CPUs (one CPU each, round robin).
      CHECK(int(uses.size()) == cpus);
      for (const auto& [cpu, count] : uses) CHECK(std::find(mine.begin(), mine.end(), cpu) != mine.end());
      CHECK(*std::max_element(sizes.begin(), sizes.end()) - *std::min_element(sizes.begin(), sizes.end()) <= 1);
      if (ranks >= cpus) CHECK(*std::max_element(sizes.begin(), sizes.end()) == 1);
      int most = 0, fewest = ranks;
      for (const auto& [cpu, count] : uses) most = std::max(most, count), fewest = std::min(fewest, count);
      CHECK(most - fewest <= 1);
      if (ranks <= cpus) CHECK(most == 1);  // disjoint slices
    }
  }
}

TEST_CASE("weftruns with --nnodes form one job: global ranks, one job key", "[tools][weftrun]") {
  // Two "hosts" of 2 ranks on this machine, torchrun-style.
  const std::string port = std::to_string(freePort());
  TempDir dir;
  auto node = [&](int i) {
    return std::vector<std::string>{kWeftrun, "--nnodes", "2", "--node-rank", std::to_string(i), "--master-addr",
                                    "127.0.0.1", "--master-port", port, "-n", "2", kProbe, "env", dir.path()};
  };
  Subprocess node1(node(1));
  const ProcessResult r0 = weft::test::run(node(0));
  const ProcessResult r1 = node1.wait();
  INFO("node 0: " << weft::test::describe(r0) << "\nnode 1: " << weft::test::describe(r1));
  REQUIRE(r0.exitCode == 0);
  REQUIRE(r1.exitCode == 0);
  const auto rank0 = readKeyValues(dir.path() / "env-0");
  for (int r = 0; r < 4; ++r) {
    auto env = readKeyValues(dir.path() / ("env-" + std::to_string(r)));
    CHECK(env["RANK"] == std::to_string(r));
    CHECK(env["LOCAL_RANK"] == std::to_string(r % 2));
    CHECK(env["GROUP_RANK"] == std::to_string(r / 2));
    CHECK(env["WORLD_SIZE"] == "4");
    CHECK(env["LOCAL_WORLD_SIZE"] == "2");
    CHECK(env["MASTER_PORT"] == port);
    CHECK(env["WEFT_JOB_ID"] == rank0.at("WEFT_JOB_ID"));
  }
}

TEST_CASE("weftrun refuses inconsistent multi-host options", "[tools][weftrun]") {
  auto usage = [](std::vector<std::string> args) {
    args.insert(args.begin(), kWeftrun);
    args.insert(args.end(), {"-n", "1", "true"});
    return weft::test::run(args);
  };
  const ProcessResult noAddr = usage({"--nnodes", "2", "--node-rank", "1", "--master-port", "1234"});
  CHECK(noAddr.exitCode == 2);
  CHECK_THAT(noAddr.err, Catch::Contains("needs --master-addr and --master-port"));
  const ProcessResult badRank = usage({"--nnodes", "2", "--node-rank", "2", "--master-addr", "h", "--master-port", "1"});
  CHECK(badRank.exitCode == 2);
  CHECK_THAT(badRank.err, Catch::Contains("--node-rank 2 is not below --nnodes 2"));
  CHECK(usage({"--master-port", "70000"}).exitCode == 2);
}

TEST_CASE("a crashing rank takes the job down and its segments are removed", "[tools][weftrun]") {
  // A segment of a process outside the job must survive the cleanup.
  const std::string foreign = "/dev/shm/weft-" + std::to_string(::getpid()) + "-keep";
  { std::ofstream(foreign) << "x"; }
  REQUIRE(fs::exists(foreign));

  std::vector<pid_t> pids;
  const ProcessResult result = runFault("crash", 3, pids);
  INFO("weftrun stderr: " << result.err);
  CHECK(result.exitCode == 128 + SIGSEGV);
  CHECK(contains(result.err, "rank 1 (pid " + std::to_string(pids[1]) +
                                 ") was killed by signal 11 (Segmentation fault)"));
  CHECK(result.elapsed.count() < 5.0);  // the others slept for 60 s: they were stopped
  CHECK_FALSE(fs::exists("/dev/shm/weft-" + std::to_string(pids[1]) + "-test"));
  CHECK(fs::exists(foreign));
  fs::remove(foreign);
}

TEST_CASE("a rank exiting with a non-zero status is named and its status returned",
          "[tools][weftrun]") {
  std::vector<pid_t> pids;
  const ProcessResult result = runFault("exit3", 3, pids);
  INFO("weftrun stderr: " << result.err);
  CHECK(result.exitCode == 3);
  CHECK(contains(result.err, "rank 1 (pid " + std::to_string(pids[1]) + ") exited with status 3"));
  CHECK(result.elapsed.count() < 5.0);
}

TEST_CASE("with --keep-going a lost rank is reported and the others finish", "[tools][weftrun]") {
  std::vector<pid_t> pids;
  const ProcessResult result = runFault("lose", 3, pids, {"--keep-going"});
  INFO("weftrun stdout: " << result.out);
  CHECK(result.exitCode == 0);
  CHECK(contains(result.err, "weftrun: rank 1 (pid " + std::to_string(pids[1]) +
                                 ") was killed by signal 9 (Killed); the other ranks run on (--keep-going)\n"));
  CHECK(contains(result.err, "weftrun: 1 of 3 ranks lost (rank 1); the others exited 0\n"));
  CHECK(contains(result.out, "rank 0 finished\n"));
  CHECK(contains(result.out, "rank 2 finished\n"));
}

TEST_CASE("without --keep-going the same lost rank stops the others", "[tools][weftrun]") {
  std::vector<pid_t> pids;
  const ProcessResult result = runFault("lose", 3, pids);
  CHECK(result.exitCode == 128 + SIGKILL);
  CHECK(contains(result.err, "weftrun: rank 1 (pid " + std::to_string(pids[1]) + ") was killed by signal 9 (Killed)\n"));
  CHECK_FALSE(contains(result.err, "lost"));
  CHECK_FALSE(contains(result.out, "finished"));
}

TEST_CASE("--keep-going returns 0 when some rank exited 0, else the first loss's status", "[tools][weftrun]") {
  // Ranks 1 and 2 exit 3 and rank 0 exits 0, in any order; then every rank exits 3.
  const ProcessResult some = weft::test::run({kWeftrun, "-n", "3", "--keep-going", "sh", "-c", "exit $((RANK ? 3 : 0))"});
  INFO("weftrun stderr: " << some.err);
  CHECK(some.exitCode == 0);
  CHECK(contains(some.err, "weftrun: 2 of 3 ranks lost (ranks 1, 2); the others exited 0\n"));
  const ProcessResult none = weft::test::run({kWeftrun, "-n", "2", "--keep-going", "sh", "-c", "exit 3"});
  INFO("weftrun stderr: " << none.err);
  CHECK(none.exitCode == 3);
  CHECK(contains(none.err, "weftrun: 2 of 2 ranks lost (ranks 0, 1)\n"));
}

TEST_CASE("ranks that ignore SIGTERM are killed after the grace period", "[tools][weftrun]") {
  std::vector<pid_t> pids;
  const ProcessResult result = runFault("stubborn", 3, pids, {"--grace", "0.5"});
  INFO("weftrun stderr: " << result.err);
  CHECK(result.exitCode == 3);
  CHECK(contains(result.err, "sending SIGKILL to 2 rank(s)"));
  CHECK(result.elapsed.count() >= 0.45);
  CHECK(result.elapsed.count() < 4.0);
}

TEST_CASE("processes the ranks leave running are killed when the job ends", "[tools][weftrun]") {
  std::vector<pid_t> pids;  // here: the pids of the ranks' children, not of the ranks
  const ProcessResult result = runFault("orphan", 2, pids);
  INFO("weftrun stderr: " << result.err);
  CHECK(result.exitCode == 0);
  CHECK(contains(result.err, "killed 2 process(es) the ranks left running"));
  CHECK(result.elapsed.count() < 5.0);
}

TEST_CASE("SIGINT or SIGTERM to weftrun stops every rank", "[tools][weftrun]") {
  const int sig = GENERATE(SIGTERM, SIGINT);
  const bool keepGoing = GENERATE(false, true);  // which changes nothing here
  constexpr int kRanks = 3;
  TempDir dir;
  std::vector<std::string> argv = {kWeftrun, "-n", std::to_string(kRanks), kFault, "sleep", dir.path()};
  if (keepGoing) argv.insert(argv.begin() + 1, "--keep-going");
  Subprocess weftrun(argv);
  for (int r = 0; r < kRanks; ++r) {
    REQUIRE(weft::test::waitForFile(dir.path() / ("pid-" + std::to_string(r)),
                                    std::chrono::seconds(5)));
  }
  REQUIRE(::kill(weftrun.pid(), sig) == 0);
  const ProcessResult result = weftrun.wait(std::chrono::seconds(20));
  INFO("weftrun stderr: " << result.err);
  CHECK(result.exitCode == 128 + sig);
  CHECK(result.elapsed.count() < 5.0);
  for (pid_t pid : publishedPids(dir.path(), kRanks)) CHECK(processGone(pid));
}

TEST_CASE("--tag-output prefixes every line with the rank", "[tools][weftrun]") {
  const ProcessResult result = weft::test::run({kWeftrun, "--tag-output", "-n", "2", kProbe, "print"});
  INFO("weftrun stderr: " << result.err);
  REQUIRE(result.exitCode == 0);
  const auto out = weft::test::splitLines(result.out);
  const auto err = weft::test::splitLines(result.err);
  CHECK(std::multiset<std::string>(out.begin(), out.end()) ==
        std::multiset<std::string>{"[0] out 0 a", "[0] out 0 b", "[0] tail 0", "[1] out 1 a",
                                   "[1] out 1 b", "[1] tail 1"});
  CHECK(std::multiset<std::string>(err.begin(), err.end()) ==
        std::multiset<std::string>{"[0] err 0", "[1] err 1"});
  CHECK(result.out.back() == '\n');  // the partial last line was completed
  for (const std::string r : {"0", "1"}) {  // each rank's lines keep their order
    auto at = [&](const std::string& line) { return std::find(out.begin(), out.end(), line); };
    CHECK(at("[" + r + "] out " + r + " a") < at("[" + r + "] out " + r + " b"));
    CHECK(at("[" + r + "] out " + r + " b") < at("[" + r + "] tail " + r));
  }
}

TEST_CASE("a program that cannot be executed gives 127 and names it", "[tools][weftrun]") {
  const auto [program, reason] = GENERATE(table<std::string, std::string>({
      {"/nonexistent/weft-program", "No such file or directory"},
      {"weft-no-such-program-on-path", "No such file or directory"},
      {"/dev/null", "Permission denied"},  // exists, but is no executable file
  }));
  const ProcessResult result = weft::test::run({kWeftrun, "-n", "2", program, "arg"});
  INFO("weftrun stderr: " << result.err);
  CHECK(result.exitCode == 127);
  CHECK(contains(result.err, "weftrun: cannot execute '" + program + "': " + reason));
}

TEST_CASE("usage errors give 2, --help and --version give 0", "[tools][weftrun]") {
  using Args = std::vector<std::string>;
  const auto [args, code] = GENERATE(table<Args, int>({
      {Args{}, 2},
      {Args{"-n", "0", "/bin/true"}, 2},
      {Args{"-n", "-3", "/bin/true"}, 2},
      {Args{"-n", "two", "/bin/true"}, 2},
      {Args{"-n", "2"}, 2},
      {Args{"/bin/true"}, 2},
      {Args{"-n", "2", "--grace", "soon", "/bin/true"}, 2},
      {Args{"-n", "2", "--bind-to", "socket", "/bin/true"}, 2},
      {Args{"-n", "2", "--bind-to"}, 2},
      {Args{"--frobnicate", "-n", "2", "/bin/true"}, 2},
      {Args{"--help"}, 0},
      {Args{"-h"}, 0},
      {Args{"--version"}, 0},
      {Args{"-n2", "--", "/bin/true"}, 0},
      {Args{"--nprocs=3", "--grace=1", "/bin/true"}, 0},
      {Args{"-n", "2", "--bind-to", "none", "/bin/true"}, 0},
  }));
  Args argv{kWeftrun};
  argv.insert(argv.end(), args.begin(), args.end());
  const ProcessResult result = weft::test::run(argv);
  INFO("weftrun stderr: " << result.err);
  CHECK(result.exitCode == code);
  if (code == 2) CHECK(contains(result.err, "usage: weftrun"));
  if (args == Args{"--help"}) CHECK(contains(result.out, "usage: weftrun -n N"));
  if (args == Args{"--version"}) CHECK(contains(result.out, "weftrun"));
}
