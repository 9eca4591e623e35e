// SPDX-License-Identifier: Apache-2.0
// weftCommInitFromEnv in real processes: file://, env://, Open MPI, PMI and Slurm variables,
// two jobs side by side, a stranger at a job's port, and the errors for missing variables.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <catch2/catch.hpp>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "runtime/weft.h"
#include "tests/support/subprocess.h"

namespace fs = std::filesystem;
using weft::test::EnvMap;
using weft::test::ProcessResult;
using weft::test::Subprocess;

namespace {

const std::string kRank = WEFT_TEST_ENV_RANK;  // path of env_rank, compiled in by meson

// A child's whole environment: this process's without launcher variables, then `env`, and a
// bootstrap deadline well below the wait limit, so a failure is reported by the rank itself
// rather than by the kill.
std::vector<std::string> rankEnvironment(EnvMap env) {
  env.emplace("WEFT_BOOTSTRAP_TIMEOUT", "20");
  return weft::test::childEnvironment(env);
}

// Starts `n` env_rank processes at once, rank r with envFor(r), each checking an all-reduce of
// `value` in a job of n ranks; returns their results once all have ended.
template <class EnvFor>
std::vector<ProcessResult> runJob(int n, long long value, EnvFor&& envFor) {
  std::vector<std::unique_ptr<Subprocess>> children;
  for (int r = 0; r < n; ++r) {
    children.push_back(std::make_unique<Subprocess>(
        std::vector<std::string>{kRank, "allreduce", std::to_string(value), std::to_string(n), std::to_string(r)},
        rankEnvironment(envFor(r))));
  }
  std::vector<ProcessResult> out;
  for (auto& c : children) out.push_back(c->wait());
  return out;
}

void requireAllSucceeded(const std::vector<ProcessResult>& results) {
  for (size_t r = 0; r < results.size(); ++r) {
    INFO("rank " << r << ": " << weft::test::describe(results[r]));
    REQUIRE(results[r].exitCode == 0);
  }
}

// Runs one env_rank that must fail init with `code` and a message holding every text.
ProcessResult expectInitFailure(const EnvMap& env, weftResult_t code, const std::vector<std::string>& texts) {
  std::vector<std::string> argv = {kRank, "fail", std::to_string(int(code))};
  argv.insert(argv.end(), texts.begin(), texts.end());
  return Subprocess(argv, rankEnvironment(env)).wait();
}

EnvMap torchrun(int rank, int n, int port) {
  return {{"RANK", std::to_string(rank)}, {"WORLD_SIZE", std::to_string(n)}, {"MASTER_ADDR", "127.0.0.1"},
          {"MASTER_PORT", std::to_string(port)}};
}

}  // namespace

TEST_CASE("file:// rendezvous in three processes, and the file is removed", "[init][env]") {
  weft::test::TempDir dir;
  const fs::path store = dir.path() / "rendezvous";
  auto results = runJob(3, 11, [&](int r) {
    return EnvMap{{"RANK", std::to_string(r)}, {"WORLD_SIZE", "3"}, {"WEFT_INIT", "file://" + store.string()}};
  });
  requireAllSucceeded(results);
  CHECK_FALSE(fs::exists(store));
  CHECK(fs::is_empty(dir.path()));
}

TEST_CASE("env:// with MASTER_ADDR and MASTER_PORT", "[init][env]") {
  const bool explicitEnv = GENERATE(false, true);
  const int port = weft::test::freePort();
  auto results = runJob(3, -5, [&](int r) {
    EnvMap env = torchrun(r, 3, port);
    env["LOCAL_RANK"] = std::to_string(r);
    env["LOCAL_WORLD_SIZE"] = "3";
    if (explicitEnv) env["WEFT_INIT"] = "env://";
    return env;
  });
  requireAllSucceeded(results);
}

TEST_CASE("torchrun's agent store holds MASTER_PORT: weft meets one port above", "[init][env]") {
  // As torchrun --master-addr/--master-port does: its agent listens on MASTER_PORT for the whole
  // job (PyTorch's TCPStore) and tells the workers with TORCHELASTIC_USE_AGENT_STORE=True.
  // The agent's port, and weft's one above it, must both be free: the kernel's choice of a free
  // port says nothing of its neighbour (a busy one made this test fail under parallel tests).
  auto bindLoopback = [](int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(uint16_t(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0) return fd;
    if (fd >= 0) ::close(fd);
    return -1;
  };
  int port = 0, agent = -1;
  for (int attempt = 0; attempt < 100 && agent < 0; ++attempt) {
    port = weft::test::freePort();
    if (port == 65535) continue;
    const int above = bindLoopback(port + 1);
    if (above < 0) continue;
    ::close(above);
    agent = bindLoopback(port);
  }
  REQUIRE(agent >= 0);
  REQUIRE(::listen(agent, 16) == 0);
  auto results = runJob(3, 7, [&](int r) {
    EnvMap env = torchrun(r, 3, port);
    env["TORCHELASTIC_USE_AGENT_STORE"] = "True";
    env["TORCHELASTIC_RUN_ID"] = "run-7";
    return env;
  });
  ::close(agent);
  requireAllSucceeded(results);
}

TEST_CASE("Open MPI, PMI and Slurm variables", "[init][env]") {
  const int port = weft::test::freePort();
  const std::string portText = std::to_string(port);
  SECTION("Open MPI with MASTER_ADDR/MASTER_PORT") {
    requireAllSucceeded(runJob(3, 3, [&](int r) {
      return EnvMap{{"OMPI_COMM_WORLD_RANK", std::to_string(r)}, {"OMPI_COMM_WORLD_SIZE", "3"},
                    {"OMPI_COMM_WORLD_LOCAL_RANK", std::to_string(r)}, {"OMPI_COMM_WORLD_LOCAL_SIZE", "3"},
                    {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", portText}};
    }));
  }
  SECTION("PMI with MASTER_ADDR/MASTER_PORT") {
    requireAllSucceeded(runJob(2, 4, [&](int r) {
      return EnvMap{{"PMI_RANK", std::to_string(r)}, {"PMI_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"},
                    {"MASTER_PORT", portText}};
    }));
  }
  SECTION("Slurm with WEFT_INIT=tcp://") {
    requireAllSucceeded(runJob(4, 5, [&](int r) {
      return EnvMap{{"SLURM_PROCID", std::to_string(r)}, {"SLURM_NTASKS", "4"}, {"SLURM_LOCALID", std::to_string(r)},
                    {"WEFT_INIT", "tcp://127.0.0.1:" + portText}};
    }));
  }
}

TEST_CASE("two jobs with the same ranks at once do not mix", "[init][env]") {
  constexpr int kRanks = 3;
  const int portA = weft::test::freePort();
  int portB = weft::test::freePort();
  while (portB == portA) portB = weft::test::freePort();
  // Interleave the starts so that both jobs bootstrap at the same time.
  std::vector<std::unique_ptr<Subprocess>> a, b;
  for (int r = 0; r < kRanks; ++r) {
    for (auto [jobs, port, value, id] : {std::tuple{&a, portA, 1000, "job-a"}, std::tuple{&b, portB, 2000, "job-b"}}) {
      EnvMap env = torchrun(r, kRanks, port);
      env["WEFT_JOB_ID"] = id;
      jobs->push_back(std::make_unique<Subprocess>(
          std::vector<std::string>{kRank, "allreduce", std::to_string(value), std::to_string(kRanks), std::to_string(r)},
          rankEnvironment(env)));
    }
  }
  std::vector<ProcessResult> ra, rb;
  for (auto& c : a) ra.push_back(c->wait());
  for (auto& c : b) rb.push_back(c->wait());
  requireAllSucceeded(ra);
  requireAllSucceeded(rb);
  // Each rank printed its sum: job-specific, so a mixed job would show the other's value.
  for (auto& r : ra) CHECK(r.out.find("sum[0] = 3000") != std::string::npos);
  for (auto& r : rb) CHECK(r.out.find("sum[0] = 6000") != std::string::npos);
}

TEST_CASE("a process of another job at a job's port is refused, and the job still forms", "[init][env]") {
  const int port = weft::test::freePort();
  EnvMap rank0 = torchrun(0, 2, port), rank1 = torchrun(1, 2, port);
  rank0["WEFT_JOB_ID"] = rank1["WEFT_JOB_ID"] = "the-job";
  Subprocess first({kRank, "allreduce", "7", "2", "0"}, rankEnvironment(rank0));

  // The stranger retries until rank 0's store is up, then must be turned away, not join as rank 1.
  EnvMap stranger = torchrun(1, 2, port);
  stranger["WEFT_JOB_ID"] = "another-job";
  const ProcessResult s = expectInitFailure(stranger, weftRemoteError, {"another job"});
  INFO("stranger: " << weft::test::describe(s) << " stdout: " << s.out);
  CHECK(s.exitCode == 0);

  Subprocess second({kRank, "allreduce", "7", "2", "1"}, rankEnvironment(rank1));
  requireAllSucceeded({first.wait(), second.wait()});
}

TEST_CASE("a process with the job's id but not its WEFT_SECRET is refused, and the job still forms",
          "[init][env][auth]") {
  const int port = weft::test::freePort();
  const std::string secret(64, 'a'), guess(64, 'b');
  EnvMap rank0 = torchrun(0, 2, port), rank1 = torchrun(1, 2, port);
  rank0["WEFT_JOB_ID"] = rank1["WEFT_JOB_ID"] = "the-job";
  rank0["WEFT_SECRET"] = rank1["WEFT_SECRET"] = secret;
  Subprocess first({kRank, "allreduce", "7", "2", "0"}, rankEnvironment(rank0));

  EnvMap stranger = rank1;
  stranger["WEFT_SECRET"] = guess;
  const ProcessResult s = expectInitFailure(stranger, weftRemoteError, {"does not know this job's secret"});
  INFO("stranger: " << weft::test::describe(s) << " stdout: " << s.out);
  CHECK(s.exitCode == 0);

  Subprocess second({kRank, "allreduce", "7", "2", "1"}, rankEnvironment(rank1));
  requireAllSucceeded({first.wait(), second.wait()});
}

TEST_CASE("a WEFT_SECRET that is not 64 hex digits is an invalid argument", "[init][env][auth]") {
  const ProcessResult r = expectInitFailure({{"WEFT_SECRET", "not-hex"}}, weftInvalidArgument, {"WEFT_SECRET", "64 hex"});
  INFO(weft::test::describe(r) << " stdout: " << r.out);
  CHECK(r.exitCode == 0);
}

TEST_CASE("a job of several ranks without a meeting point is an invalid argument", "[init][env]") {
  SECTION("MASTER_ADDR without MASTER_PORT") {
    const ProcessResult r = expectInitFailure({{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}},
                                              weftInvalidArgument, {"MASTER_ADDR", "MASTER_PORT"});
    INFO(weft::test::describe(r) << " stdout: " << r.out);
    CHECK(r.exitCode == 0);
  }
  SECTION("neither MASTER_ADDR nor MASTER_PORT") {
    const ProcessResult r = expectInitFailure({{"RANK", "1"}, {"WORLD_SIZE", "2"}}, weftInvalidArgument,
                                              {"MASTER_ADDR", "MASTER_PORT"});
    INFO(weft::test::describe(r) << " stdout: " << r.out);
    CHECK(r.exitCode == 0);
  }
  SECTION("a malformed MASTER_PORT") {
    const ProcessResult r = expectInitFailure(
        {{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "99999"}},
        weftInvalidArgument, {"MASTER_PORT", "99999"});
    INFO(weft::test::describe(r) << " stdout: " << r.out);
    CHECK(r.exitCode == 0);
  }
  SECTION("WORLD_SIZE without RANK") {
    const ProcessResult r = expectInitFailure({{"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"}, {"MASTER_PORT", "1"}},
                                              weftInvalidArgument, {"RANK"});
    INFO(weft::test::describe(r) << " stdout: " << r.out);
    CHECK(r.exitCode == 0);
  }
}

TEST_CASE("a process without launcher variables forms a communicator of one rank", "[init][env]") {
  requireAllSucceeded(runJob(1, 42, [](int) { return EnvMap{}; }));
}
