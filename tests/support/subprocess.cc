// SPDX-License-Identifier: Apache-2.0
// posix_spawn with output files and an optional exact environment, waited on with a limit.
#include "tests/support/subprocess.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace weft::test {

TempDir::TempDir() {
  std::string pattern = (std::filesystem::temp_directory_path() / "weft-test-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw std::system_error(errno, std::generic_category(), "mkdtemp");
  }
  path_ = pattern;
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

Subprocess::Subprocess(const std::vector<std::string>& argv, const std::optional<std::vector<std::string>>& env) {
  if (argv.empty()) throw std::invalid_argument("Subprocess: empty argv");
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  if (env) {
    for (const auto& e : *env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
  }
  const std::string outPath = (dir_.path() / "stdout").string();
  const std::string errPath = (dir_.path() / "stderr").string();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  start_ = std::chrono::steady_clock::now();
  const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env ? envp.data() : environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::system_error(rc, std::generic_category(), "posix_spawn " + argv[0]);
  }
}

Subprocess::~Subprocess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

ProcessResult Subprocess::wait(std::chrono::duration<double> limit) {
  ProcessResult result;
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(pid_, &status, WNOHANG);
    if (done == pid_) break;
    if (done < 0 && errno != EINTR) throw std::system_error(errno, std::generic_category(), "waitpid");
    if (std::chrono::steady_clock::now() - start_ > limit) ::kill(pid_, SIGKILL);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  pid_ = -1;
  result.elapsed = std::chrono::steady_clock::now() - start_;
  if (WIFEXITED(status)) result.exitCode = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) result.signal = WTERMSIG(status);
  result.out = readFile(dir_.path() / "stdout");
  result.err = readFile(dir_.path() / "stderr");
  return result;
}

ProcessResult run(const std::vector<std::string>& argv, std::chrono::duration<double> limit) {
  return Subprocess(argv).wait(limit);
}

std::string describe(const ProcessResult& r) {
  std::string s = r.signal ? "killed by signal " + std::to_string(r.signal)
                           : "exit status " + std::to_string(r.exitCode);
  return s + ", after " + std::to_string(r.elapsed.count()) + " s; stderr: " + r.err;
}

}  // namespace weft::test
