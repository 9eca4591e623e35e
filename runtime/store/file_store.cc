// SPDX-License-Identifier: Apache-2.0
// FileStore: an append-only record log under flock().
//
// File layout: the 8-byte magic "weftfs01", then records: u32 keyLen | u32 valueLen | key | value
// (little-endian lengths). A record is written with one append while the exclusive lock is held,
// so readers holding the shared lock only ever see whole records.
#include "runtime/store/file_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "common/error.h"
#include "runtime/store/key_util.h"
#include "runtime/store/tcp_wire.h"

namespace weft::store {

namespace {
constexpr std::string_view kFileMagic = "weftfs01";
constexpr size_t kRecordHeaderBytes = 8;

// Holds flock(fd, op) for a scope.
class FlockGuard {
 public:
  FlockGuard(int fd, int op, const std::string& path) : fd_(fd) {
    while (::flock(fd_, op) < 0) {
      if (errno != EINTR) throw SystemError("flock on the store file " + path, errno);
    }
  }
  ~FlockGuard() { ::flock(fd_, LOCK_UN); }
  FlockGuard(const FlockGuard&) = delete;
  FlockGuard& operator=(const FlockGuard&) = delete;

 private:
  int fd_;
};
}  // namespace

FileStore::FileStore(std::string path) : path_(std::move(path)) {
  fd_.reset(::open(path_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!fd_.valid()) throw SystemError("cannot open the store file " + path_, errno);
  std::lock_guard<std::mutex> lock(mu_);
  FlockGuard flock(fd_.get(), LOCK_EX, path_);
  struct stat st{};
  if (::fstat(fd_.get(), &st) < 0) throw SystemError("fstat of the store file " + path_, errno);
  if (st.st_size == 0) {
    if (::write(fd_.get(), kFileMagic.data(), kFileMagic.size()) != static_cast<ssize_t>(kFileMagic.size())) {
      throw SystemError("cannot write the store file " + path_, errno);
    }
  }
  refreshLocked();
}

void FileStore::refreshLocked() {
  struct stat st{};
  if (::fstat(fd_.get(), &st) < 0) throw SystemError("fstat of the store file " + path_, errno);
  auto size = static_cast<uint64_t>(st.st_size);
  if (size <= offset_) return;
  std::string buf(size - offset_, '\0');
  size_t got = 0;
  while (got < buf.size()) {
    ssize_t r = ::pread(fd_.get(), buf.data() + got, buf.size() - got, static_cast<off_t>(offset_ + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) throw SystemError("cannot read the store file " + path_, errno);
    if (r == 0) break;  // truncated behind our back; take what is there
    got += static_cast<size_t>(r);
  }
  buf.resize(got);
  size_t pos = 0;
  if (offset_ == 0) {
    if (buf.size() < kFileMagic.size() || buf.compare(0, kFileMagic.size(), kFileMagic) != 0) {
      throw SystemError("the file " + path_ + " is not a weft store file");
    }
    pos = kFileMagic.size();
  }
  while (buf.size() - pos >= kRecordHeaderBytes) {
    uint32_t keyLen = wire::getU32(buf.data() + pos);
    uint32_t valueLen = wire::getU32(buf.data() + pos + 4);
    if (keyLen == 0 || keyLen > detail::kMaxKeyBytes || valueLen > detail::kMaxValueBytes) {
      throw SystemError("the store file " + path_ + " is corrupt at offset " + std::to_string(offset_ + pos));
    }
    size_t end = pos + kRecordHeaderBytes + keyLen + valueLen;
    if (end > buf.size()) break;  // only possible after a writer died mid-record
    cache_[buf.substr(pos + kRecordHeaderBytes, keyLen)] = buf.substr(pos + kRecordHeaderBytes + keyLen, valueLen);
    pos = end;
  }
  offset_ += pos;
}

void FileStore::appendLocked(const std::string& key, std::string_view value) {
  std::string rec;
  rec.reserve(kRecordHeaderBytes + key.size() + value.size());
  wire::putU32(rec, static_cast<uint32_t>(key.size()));
  wire::putU32(rec, static_cast<uint32_t>(value.size()));
  rec += key;
  rec += value;
  size_t done = 0;
  while (done < rec.size()) {  // O_APPEND: each write lands at the current end of the file
    ssize_t w = ::write(fd_.get(), rec.data() + done, rec.size() - done);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw SystemError("cannot append to the store file " + path_, errno);
    done += static_cast<size_t>(w);
  }
  refreshLocked();  // replays our own record (and anything before it)
}

void FileStore::set(const std::string& key, const Bytes& value) {
  detail::checkKey(key);
  detail::checkValueSize(key, value.size());
  std::lock_guard<std::mutex> lock(mu_);
  FlockGuard flock(fd_.get(), LOCK_EX, path_);
  refreshLocked();
  appendLocked(key, {reinterpret_cast<const char*>(value.data()), value.size()});
}

int64_t FileStore::add(const std::string& key, int64_t delta) {
  detail::checkKey(key);
  std::lock_guard<std::mutex> lock(mu_);
  FlockGuard flock(fd_.get(), LOCK_EX, path_);
  refreshLocked();  // the exclusive lock makes read-modify-append atomic across processes
  auto it = cache_.find(key);
  int64_t sum = detail::addToCounter(key, it == cache_.end() ? nullptr : &it->second, delta);
  appendLocked(key, detail::formatCounter(sum));
  return sum;
}

std::vector<std::string> FileStore::missingAfterRefresh(const std::vector<std::string>& keys) {
  std::lock_guard<std::mutex> lock(mu_);
  {
    FlockGuard flock(fd_.get(), LOCK_SH, path_);
    refreshLocked();
  }
  std::vector<std::string> missing;
  for (const auto& k : keys) {
    if (!cache_.count(k)) missing.push_back(k);
  }
  return missing;
}

std::vector<std::string> FileStore::pollFor(const std::vector<std::string>& keys, const Deadline& deadline) {
  auto backoff = std::chrono::duration<double>(0.001);
  for (;;) {
    auto missing = missingAfterRefresh(keys);
    if (missing.empty() || deadline.expired()) return missing;
    std::this_thread::sleep_for(std::min(backoff, std::chrono::duration<double>(deadline.remaining())));
    backoff = std::min(backoff * 2, std::chrono::duration<double>(0.05));
  }
}

Bytes FileStore::get(const std::string& key, Deadline deadline) {
  detail::checkKey(key);
  auto missing = pollFor({key}, deadline);
  if (!missing.empty()) throw detail::keyTimeout(deadline, missing, describe());
  std::lock_guard<std::mutex> lock(mu_);
  const std::string& v = cache_.at(key);
  return Bytes(v.begin(), v.end());
}

void FileStore::wait(const std::vector<std::string>& keys, Deadline deadline) {
  if (keys.size() > detail::kMaxWaitKeys) {
    throw InvalidArgument("cannot wait for more than " + std::to_string(detail::kMaxWaitKeys) + " keys at once");
  }
  for (const auto& k : keys) detail::checkKey(k);
  auto missing = pollFor(keys, deadline);
  if (!missing.empty()) throw detail::keyTimeout(deadline, missing, describe());
}

void FileStore::removeFile() {
  if (::unlink(path_.c_str()) < 0 && errno != ENOENT) {
    throw SystemError("cannot remove the store file " + path_, errno);
  }
}

}  // namespace weft::store
