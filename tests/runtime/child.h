// SPDX-License-Identifier: Apache-2.0
// Child processes with a controlled environment, for the tests that form communicators from it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "tests/tools/subprocess.h"

namespace weft::test {

using EnvMap = std::map<std::string, std::string>;

// This process's environment without any launcher or rendezvous variable (RANK, MASTER_*,
// OMPI_*, PMI_*, SLURM_*, WEFT_INIT, WEFT_JOB_ID, ...), with `set` added on top.
std::vector<std::string> childEnvironment(const EnvMap& set);

// A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0, read it, close).
int freePort();

// One child process (posix_spawn) whose stdout and stderr go to files. Not thread-safe.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const EnvMap& env);  // throws on failure
  ~Child();  // SIGKILLs and reaps the child if wait() was not called
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  // Waits at most `limit` after the start; past it the child is SIGKILLed (result.signal == 9).
  ProcessResult wait(std::chrono::duration<double> limit = std::chrono::seconds(30));

 private:
  TempDir dir_;
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point start_;
};

// Describes a result for failure messages: exit status or signal, and the child's stderr.
std::string describe(const ProcessResult& r);

}  // namespace weft::test
