// SPDX-License-Identifier: Apache-2.0
// Scans /dev/shm once for "weft-<pid>-*" segments of finished processes and unlinks them.
#include "tools/weftrun/shm_cleanup.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string_view>
#include <unordered_set>

namespace weft::weftrun {
namespace {

// The creator pid of a "weft-<pid>-<rest>" name (rest not empty), or nullopt for other names.
std::optional<pid_t> creatorOf(std::string_view name) {
  constexpr std::string_view kPrefix = "weft-";
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  name.remove_prefix(kPrefix.size());
  const size_t dash = name.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash + 1 == name.size()) return std::nullopt;
  pid_t pid = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + dash, pid);
  if (ec != std::errc() || end != name.data() + dash) return std::nullopt;
  return pid;
}

}  // namespace

int removeShmSegments(const std::vector<pid_t>& pids, const std::string& dir) {
  if (pids.empty()) return 0;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) return 0;  // no /dev/shm (e.g. a minimal container): nothing to clean
  const std::unordered_set<pid_t> wanted(pids.begin(), pids.end());
  int removed = 0;
  while (const dirent* entry = ::readdir(d)) {
    const std::string_view name(entry->d_name);
    const std::optional<pid_t> creator = creatorOf(name);
    if (!creator || !wanted.contains(*creator)) continue;
    const std::string path = dir + "/" + std::string(name);
    if (::unlink(path.c_str()) == 0) {
      ++removed;
    } else if (errno != ENOENT) {  // ENOENT: someone else removed it first, which is fine
      std::fprintf(stderr, "weftrun: cannot remove %s: %s\n", path.c_str(), std::strerror(errno));
    }
  }
  ::closedir(d);
  return removed;
}

}  // namespace weft::weftrun
