// SPDX-License-Identifier: Apache-2.0
// Logging to stderr (or a file) with a host:pid:rank prefix; the level is set by runtime/ from WEFT_DEBUG.
// Thread-safe: lines from concurrent threads never interleave.
#pragma once

#include <string>

namespace weft::log {

enum class Level { None = 0, Warn = 1, Info = 2, Trace = 3 };

// Configuration, called by runtime/ (the only layer that reads the environment).
void setLevel(Level level);
void setFile(const std::string& path);  // empty: stderr
Level level();

inline bool enabled(Level l) { return static_cast<int>(l) <= static_cast<int>(level()); }

// The rank printed in the prefix for lines logged by the calling thread (-1: none).
// Thread ranks share a process, so this is per thread; see RankScope.
void setThreadRank(int rank);
int threadRank();

class RankScope {
 public:
  explicit RankScope(int rank) : saved_(threadRank()) { setThreadRank(rank); }
  ~RankScope() { setThreadRank(saved_); }
  RankScope(const RankScope&) = delete;
  RankScope& operator=(const RankScope&) = delete;

 private:
  int saved_;
};

void write(Level l, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace weft::log

#define WEFT_LOG(lvl, ...)                                                          \
  do {                                                                              \
    if (::weft::log::enabled(::weft::log::Level::lvl)) ::weft::log::write(::weft::log::Level::lvl, __VA_ARGS__); \
  } while (0)
