// SPDX-License-Identifier: Apache-2.0
// Child processes for the tests, output captured to files, plus the file, port and environment helpers they use.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace weft::test {

using EnvMap = std::map<std::string, std::string>;

// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct ProcessResult {
  int exitCode = -1;    // WEXITSTATUS, or -1 when the process was killed
  int signal = 0;       // WTERMSIG when killed
  std::string out;      // everything written to stdout
  std::string err;      // everything written to stderr
  std::chrono::duration<double> elapsed{};
};

// One child process (posix_spawn) whose stdout and stderr go to files in its own TempDir.
// With `env` the child gets exactly those "NAME=value" entries; without, it inherits this
// process's environment. Not thread-safe.
class Subprocess {
 public:
  explicit Subprocess(const std::vector<std::string>& argv,
                      const std::optional<std::vector<std::string>>& env = std::nullopt);  // throws on failure
  ~Subprocess();  // SIGKILLs and reaps the child if wait() was not called
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits at most `limit` after the start; past it the child is SIGKILLed (result.signal == 9).
  ProcessResult wait(std::chrono::duration<double> limit = std::chrono::seconds(30));

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point start_;
};

// Starts argv with this process's environment, waits at most `limit`, returns the result.
ProcessResult run(const std::vector<std::string>& argv,
                  std::chrono::duration<double> limit = std::chrono::seconds(20));

// Describes a result for failure messages: exit status or signal, and the child's stderr.
std::string describe(const ProcessResult& r);

// This process's environment without any launcher or rendezvous variable (RANK, MASTER_*,
// OMPI_*, PMI_*, SLURM_*, WEFT_INIT, WEFT_JOB_ID, WEFT_SECRET, ...), with `set` added on top.
std::vector<std::string> childEnvironment(const EnvMap& set);

// Entries /dev/shm/weft-<pid>-* that some pid of `pids` created (weft's segments are named so).
std::vector<std::string> shmLeftovers(const std::vector<pid_t>& pids);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
int freePort();

// Reads a whole file; empty if it does not exist.
std::string readFile(const std::filesystem::path& path);

// Splits text into lines (without the '\n'); a last line without '\n' is included.
std::vector<std::string> splitLines(const std::string& text);

// Waits at most `limit` for `path` to exist; returns whether it does.
bool waitForFile(const std::filesystem::path& path, std::chrono::duration<double> limit);

}  // namespace weft::test
