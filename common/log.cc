// SPDX-License-Identifier: Apache-2.0
// Implementation of the host:pid:rank-prefixed logger.
#include "common/log.h"

#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <mutex>

#include "common/tls.h"

namespace weft::log {
namespace {

std::atomic<int> gLevel{static_cast<int>(Level::Warn)};
std::mutex gMu;  // guards gFile and serializes writes
FILE* gFile = nullptr;
WEFT_HOT_TLS thread_local int tRank = -1;  // Note [Thread-locals on the hot path]

const char* levelName(Level l) {
  switch (l) {
    case Level::Warn: return "WARN";
    case Level::Info: return "INFO";
    case Level::Trace: return "TRACE";
    default: return "";
  }
}

}  // namespace

void setLevel(Level l) { gLevel.store(static_cast<int>(l), std::memory_order_relaxed); }
Level level() { return static_cast<Level>(gLevel.load(std::memory_order_relaxed)); }

void setFile(const std::string& path) {
  std::lock_guard<std::mutex> lock(gMu);
  if (gFile) std::fclose(gFile);
  gFile = nullptr;
  if (path.empty()) return;
  // %h and %p expand to host and pid so that each process of a job can have its own file.
  std::string expanded;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 1 < path.size() && (path[i + 1] == 'h' || path[i + 1] == 'p')) {
      char buf[256] = {0};
      if (path[i + 1] == 'h') gethostname(buf, sizeof(buf) - 1);
      else std::snprintf(buf, sizeof(buf), "%d", int(getpid()));
      expanded += buf;
      ++i;
    } else {
      expanded += path[i];
    }
  }
  gFile = std::fopen(expanded.c_str(), "a");
}

void setThreadRank(int rank) { tRank = rank; }
int threadRank() { return tRank; }

void write(Level l, const char* fmt, ...) {
  static const std::string host = [] {
    char buf[256] = {0};
    gethostname(buf, sizeof(buf) - 1);
    return std::string(buf);
  }();
  char msg[2048];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  std::lock_guard<std::mutex> lock(gMu);
  FILE* out = gFile ? gFile : stderr;
  std::fprintf(out, "%s:%d:%d weft %s %s\n", host.c_str(), int(getpid()), tRank, levelName(l), msg);
  std::fflush(out);
}

}  // namespace weft::log
