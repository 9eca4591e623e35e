// SPDX-License-Identifier: Apache-2.0
// Runs weftrun as a real child process for the tools tests and collects its exit status and output.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace weft::test {

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

// One child process whose stdout/stderr go to files in its own TempDir. Not thread-safe.
class Subprocess {
 public:
  explicit Subprocess(const std::vector<std::string>& argv);  // starts it; throws on failure
  ~Subprocess();  // SIGKILLs and reaps it if wait() was not called
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;

  pid_t pid() const { return pid_; }
  // Waits at most `limit`; past it the child is SIGKILLed and the result says signal 9.
  ProcessResult wait(std::chrono::duration<double> limit = std::chrono::seconds(20));

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point start_;
};

// Starts argv, waits, returns the result.
ProcessResult run(const std::vector<std::string>& argv);

// Reads a whole file; empty if it does not exist.
std::string readFile(const std::filesystem::path& path);

// Splits text into lines (without the '\n'); a last line without '\n' is included.
std::vector<std::string> splitLines(const std::string& text);

// Waits at most `limit` for `path` to exist; returns whether it does.
bool waitForFile(const std::filesystem::path& path, std::chrono::duration<double> limit);

}  // namespace weft::test
