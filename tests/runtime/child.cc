// SPDX-License-Identifier: Apache-2.0
// posix_spawn with an explicit environment and output files, plus a free-port helper.
#include "tests/runtime/child.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>
#include <thread>

extern char** environ;

namespace weft::test {
namespace {

// Variables through which a launcher or a test tells a rank who it is and where to meet; a
// child sees only those the test sets, whatever the environment of the test itself holds.
constexpr const char* kDroppedPrefixes[] = {
    "RANK=", "WORLD_SIZE=", "LOCAL_RANK=", "LOCAL_WORLD_SIZE=", "MASTER_ADDR=", "MASTER_PORT=",
    "OMPI_", "PMI_", "PMIX_", "MPI_LOCAL", "SLURM_", "WEFT_INIT=", "WEFT_JOB_ID=",
    "WEFT_TIMEOUT=", "WEFT_BOOTSTRAP_TIMEOUT="};

bool dropped(const char* entry) {
  for (const char* p : kDroppedPrefixes) {
    if (std::strncmp(entry, p, std::strlen(p)) == 0) return true;
  }
  return false;
}

}  // namespace

std::vector<std::string> childEnvironment(const EnvMap& set) {
  std::vector<std::string> out;
  for (char** e = environ; *e; ++e) {
    const std::string entry = *e;
    const std::string name = entry.substr(0, entry.find('='));
    if (!dropped(*e) && set.count(name) == 0) out.push_back(entry);
  }
  for (const auto& [name, value] : set) out.push_back(name + "=" + value);
  return out;
}

int freePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::system_error(err, std::generic_category(), "bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

Child::Child(const std::vector<std::string>& argv, const EnvMap& env) {
  const std::vector<std::string> envStrings = childEnvironment(env);
  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : envStrings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const std::string outPath = (dir_.path() / "stdout").string();
  const std::string errPath = (dir_.path() / "stderr").string();

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, outPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, errPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  start_ = std::chrono::steady_clock::now();
  const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    throw std::system_error(rc, std::generic_category(), "posix_spawn " + argv[0]);
  }
}

Child::~Child() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

ProcessResult Child::wait(std::chrono::duration<double> limit) {
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

std::string describe(const ProcessResult& r) {
  std::string s = r.signal ? "killed by signal " + std::to_string(r.signal)
                           : "exit status " + std::to_string(r.exitCode);
  return s + ", after " + std::to_string(r.elapsed.count()) + " s; stderr: " + r.err;
}

}  // namespace weft::test
