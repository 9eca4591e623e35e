// SPDX-License-Identifier: Apache-2.0
// --tag-output: reads each rank's stdout/stderr from pipes and re-emits them line by line as "[RANK] ...".
#pragma once

#include <poll.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tools/weftrun/unique_fd.h"

namespace weft::weftrun {

// Where tagged lines go (weftrun's fd 1 or 2). Once a write fails (EPIPE: the reader went away)
// the sink drops everything after, so ranks keep running and are not blocked on a full pipe.
struct OutputSink {
  int fd;
  bool broken = false;
  void write(std::string_view data);
};

// Line-buffers one stream of one rank. Complete lines are written with the prefix; a final partial
// line is written by finish() with a newline added. A line longer than kMaxPending is written in
// pieces, the prefix only before the first one.
class LineTagger {
 public:
  static constexpr size_t kMaxPending = 64 * 1024;
  LineTagger(std::string prefix, OutputSink* sink) : prefix_(std::move(prefix)), sink_(sink) {}
  void feed(std::string_view data);
  void finish();

 private:
  std::string prefix_;
  OutputSink* sink_;     // owned by OutputRelay, which outlives every tagger
  std::string pending_;  // bytes after the last newline
  bool atLineStart_ = true;
};

// Owns the pipes of every rank. Loop-bound: used only by the supervisor's thread.
class OutputRelay {
 public:
  OutputRelay();

  // Makes the two pipes of `rank` and returns their write ends for the child (fd 1, fd 2). The
  // caller closes them once the child is forked, so that EOF follows the rank's exit.
  std::pair<UniqueFd, UniqueFd> addRank(int rank);

  // Appends one pollfd per still-open read end.
  void appendPollFds(std::vector<pollfd>& fds) const;
  // Reads whatever is available on fds that poll() marked readable.
  void service(const std::vector<pollfd>& fds);
  // Reads everything already written by `rank` (call when it has exited, before reporting it).
  void drainRank(int rank);
  // Drains every pipe without waiting and flushes partial lines. Call once all ranks are reaped;
  // data from a grandchild that still holds a pipe open after that is not waited for.
  void finish();

 private:
  struct Stream {
    int rank;
    UniqueFd readFd;
    LineTagger tagger;
  };
  // Reads until EAGAIN or EOF; closes the fd at EOF.
  void readAvailable(Stream& stream);

  std::unique_ptr<OutputSink> stdout_;
  std::unique_ptr<OutputSink> stderr_;
  std::vector<Stream> streams_;
};

}  // namespace weft::weftrun
