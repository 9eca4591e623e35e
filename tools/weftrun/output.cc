// SPDX-License-Identifier: Apache-2.0
// Line-buffered relaying of the ranks' output pipes, with the "[RANK] " prefix on every line.
#include "tools/weftrun/output.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <system_error>

namespace weft::weftrun {

void OutputSink::write(std::string_view data) {
  while (!broken && !data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n > 0) {
      data.remove_prefix(static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      pollfd p{fd, POLLOUT, 0};  // our stdout was inherited non-blocking: wait until it drains
      ::poll(&p, 1, -1);
    } else {
      broken = true;
    }
  }
}

void LineTagger::feed(std::string_view data) {
  std::string out;
  size_t newline;
  while ((newline = data.find('\n')) != std::string_view::npos) {
    if (atLineStart_) out += prefix_;
    out += pending_;
    out.append(data.substr(0, newline + 1));
    pending_.clear();
    atLineStart_ = true;
    data.remove_prefix(newline + 1);
  }
  pending_.append(data);
  if (pending_.size() > kMaxPending) {
    if (atLineStart_) out += prefix_;
    out += pending_;
    pending_.clear();
    atLineStart_ = false;
  }
  if (!out.empty()) sink_->write(out);
}

void LineTagger::finish() {
  if (pending_.empty() && atLineStart_) return;
  std::string out = atLineStart_ ? prefix_ : std::string();
  out += pending_;
  out += '\n';
  pending_.clear();
  atLineStart_ = true;
  sink_->write(out);
}

OutputRelay::OutputRelay()
    : stdout_(std::make_unique<OutputSink>(OutputSink{STDOUT_FILENO})),
      stderr_(std::make_unique<OutputSink>(OutputSink{STDERR_FILENO})) {}

std::pair<UniqueFd, UniqueFd> OutputRelay::addRank(int rank) {
  const std::string prefix = "[" + std::to_string(rank) + "] ";
  std::array<UniqueFd, 2> writeEnds;
  OutputSink* sinks[2] = {stdout_.get(), stderr_.get()};
  for (int i = 0; i < 2; ++i) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw std::system_error(errno, std::generic_category(), "pipe2");
    }
    UniqueFd readEnd(fds[0]);
    writeEnds[i].reset(fds[1]);
    // Only our end is non-blocking; the rank writes to a normal blocking pipe.
    ::fcntl(readEnd.get(), F_SETFL, ::fcntl(readEnd.get(), F_GETFL) | O_NONBLOCK);
    streams_.push_back(Stream{rank, std::move(readEnd), LineTagger(prefix, sinks[i])});
  }
  return {std::move(writeEnds[0]), std::move(writeEnds[1])};
}

void OutputRelay::appendPollFds(std::vector<pollfd>& fds) const {
  for (const auto& s : streams_) {
    if (s.readFd.valid()) fds.push_back(pollfd{s.readFd.get(), POLLIN, 0});
  }
}

void OutputRelay::service(const std::vector<pollfd>& fds) {
  for (const auto& p : fds) {
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
    for (auto& s : streams_) {
      if (s.readFd.get() == p.fd) readAvailable(s);
    }
  }
}

void OutputRelay::drainRank(int rank) {
  for (auto& s : streams_) {
    if (s.rank == rank) readAvailable(s);
  }
}

void OutputRelay::finish() {
  for (auto& s : streams_) {
    readAvailable(s);
    s.tagger.finish();
    s.readFd.reset();
  }
}

void OutputRelay::readAvailable(Stream& stream) {
  std::array<char, 16 * 1024> buf;
  while (stream.readFd.valid()) {
    const ssize_t n = ::read(stream.readFd.get(), buf.data(), buf.size());
    if (n > 0) {
      stream.tagger.feed(std::string_view(buf.data(), static_cast<size_t>(n)));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      return;
    } else {
      stream.readFd.reset();  // EOF or a read error: nothing more will come
    }
  }
}

}  // namespace weft::weftrun
