// SPDX-License-Identifier: Apache-2.0
// Finds weftrun's adopted children through /proc and kills them, one generation at a time.
#include "tools/weftrun/descendants.h"

#include <dirent.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>

namespace weft::weftrun {
namespace {

// A guard against a runaway fork bomb among the leftovers; each round removes one generation.
constexpr int kMaxRounds = 64;

// Parent pid from /proc/<pid>/stat ("pid (comm) state ppid ..."); comm may hold spaces and
// parentheses, so parse from the last ')'. Returns -1 when the process is gone.
pid_t parentOf(const char* pid) {
  std::ifstream in(std::string("/proc/") + pid + "/stat");
  std::string line;
  if (!std::getline(in, line)) return -1;
  const size_t close = line.rfind(')');
  if (close == std::string::npos || close + 4 >= line.size()) return -1;
  return static_cast<pid_t>(std::strtol(line.c_str() + close + 4, nullptr, 10));
}

}  // namespace

void becomeSubreaper() {
  if (::prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
    throw std::system_error(errno, std::generic_category(), "prctl(PR_SET_CHILD_SUBREAPER)");
  }
}

std::vector<pid_t> listChildren() {
  std::vector<pid_t> out;
  DIR* proc = ::opendir("/proc");
  if (proc == nullptr) return out;
  const pid_t self = ::getpid();
  while (const dirent* entry = ::readdir(proc)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    if (parentOf(entry->d_name) == self) out.push_back(std::atoi(entry->d_name));
  }
  ::closedir(proc);
  return out;
}

int killLeftovers(std::vector<pid_t>& reaped) {
  int killed = 0;
  for (int round = 0; round < kMaxRounds; ++round) {
    const std::vector<pid_t> children = listChildren();
    if (children.empty()) break;
    for (pid_t pid : children) ::kill(pid, SIGKILL);  // our unreaped child: pid cannot be reused
    for (pid_t pid : children) {
      while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
      }
      reaped.push_back(pid);
    }
    killed += static_cast<int>(children.size());
  }
  return killed;
}

}  // namespace weft::weftrun
