// SPDX-License-Identifier: Apache-2.0
// A store in a file on a shared filesystem (the idea of PyTorch's FileStore), for jobs that have
// a shared path but no reachable TCP port ("file:///shared/path").
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "runtime/store/store.h"
#include "runtime/store/unique_fd.h"

namespace weft::store {

// Every rank opens the same path. The file is a log of records (key, value) appended under an
// exclusive flock(); readers replay it from where they last stopped, under a shared flock. The
// last record for a key wins; add() appends the new counter while holding the exclusive lock,
// so it is atomic across processes. get()/wait() poll the file with a backoff from 1 ms to
// 50 ms until their deadline.
//
// The file must not be left over from an earlier job: its keys would be seen as already set.
// Give each job a fresh path (e.g. one naming the job id) and have one rank call removeFile()
// once every rank is done. flock() must work on the filesystem (local, NFSv4, Lustre with
// -o flock).
//
// Thread-safe. A process that forks must open its own FileStore in the child: a descriptor
// inherited across fork shares its flock() with the parent's and does not exclude it.
class FileStore : public Store {
 public:
  // Opens the file, creating it if needed. Throws SystemError (naming the path) on failure,
  // or if the file exists and is not a weft store file.
  explicit FileStore(std::string path);

  void set(const std::string& key, const Bytes& value) override;
  Bytes get(const std::string& key, Deadline deadline) override;
  int64_t add(const std::string& key, int64_t delta) override;
  void wait(const std::vector<std::string>& keys, Deadline deadline) override;
  std::string describe() const override { return "file://" + path_; }

  // Deletes the file (if still there). Ranks that still use the store afterwards keep working
  // on their open descriptor, but ranks that open the path later would start afresh.
  void removeFile();

  const std::string& path() const { return path_; }

 private:
  // Replays records appended since offset_ into cache_. Caller holds mu_ and a flock.
  void refreshLocked();
  // Appends one record. Caller holds mu_ and the exclusive flock.
  void appendLocked(const std::string& key, std::string_view value);
  // Missing keys after one refresh.
  std::vector<std::string> missingAfterRefresh(const std::vector<std::string>& keys);
  // Polls until keys exist; returns those still missing at the deadline.
  std::vector<std::string> pollFor(const std::vector<std::string>& keys, const Deadline& deadline);

  const std::string path_;
  detail::UniqueFd fd_;
  // Lock order: mu_, then the file's flock. mu_ is needed because flock() does not exclude
  // threads sharing one open file description.
  std::mutex mu_;
  std::map<std::string, std::string> cache_;  // guarded by mu_
  uint64_t offset_ = 0;                      // guarded by mu_; bytes of the file replayed
};

}  // namespace weft::store
