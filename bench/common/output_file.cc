// SPDX-License-Identifier: Apache-2.0
// Temp-file-and-rename writing for the -J report, with errno-carrying errors.
#include "bench/common/output_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <system_error>
#include <utility>

namespace weft::bench {
namespace {

[[noreturn]] void fail(int error, const std::string& what) {
  throw std::system_error(error, std::generic_category(), what);
}

// Owns an fd; closes it unless release()d.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }

 private:
  int fd_;
};

int createTemporary(const std::string& path, const std::string& tmp) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) fail(EISDIR, "cannot write " + path);
  // 0666 less the umask, as any file the user writes; O_TRUNC replaces a leftover of a crashed
  // run with the same pid.
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) fail(errno, "cannot create " + tmp + " (for " + path + ")");
  return fd;
}

}  // namespace

std::string temporaryPathFor(const std::string& path) {
  return path + ".tmp." + std::to_string(static_cast<long>(::getpid()));
}

void checkWritable(const std::string& path) {
  const std::string tmp = temporaryPathFor(path);
  Fd fd(createTemporary(path, tmp));
  ::unlink(tmp.c_str());
}

void writeFileAtomically(const std::string& path, std::string_view text) {
  const std::string tmp = temporaryPathFor(path);
  Fd fd(createTemporary(path, tmp));
  const auto abandon = [&](const std::string& what) {
    const int error = errno;
    ::close(fd.release());
    ::unlink(tmp.c_str());
    fail(error, what);
  };
  for (size_t done = 0; done < text.size();) {
    const ssize_t n = ::write(fd.get(), text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) abandon("cannot write " + tmp);
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd.get()) != 0) abandon("cannot flush " + tmp);
  if (::close(fd.release()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    fail(error, "cannot close " + tmp);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int error = errno;
    ::unlink(tmp.c_str());
    fail(error, "cannot rename " + tmp + " to " + path);
  }
}

}  // namespace weft::bench
