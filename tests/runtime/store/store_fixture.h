// SPDX-License-Identifier: Apache-2.0
// Helpers shared by the store tests: one factory per store kind, byte conversions, a temp dir.
#pragma once

#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>

#include "runtime/store/file_store.h"
#include "runtime/store/hash_store.h"
#include "runtime/store/prefix_store.h"
#include "runtime/store/tcp_store.h"
#include "runtime/store/tcp_store_server.h"

namespace weft::store::test {

// The job secret the tests' stores and clients share (Note [Job secret]).
inline const auth::Secret kTestSecret = auth::derived("store tests");

inline Bytes bytes(const std::string& s) { return Bytes(s.begin(), s.end()); }
inline std::string str(const Bytes& b) { return std::string(b.begin(), b.end()); }

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "weft-store-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

// One store of a given kind plus what keeps it alive; client() opens another handle onto the
// same data (a new connection, a new open of the file), as another rank would.
class StoreUnderTest {
 public:
  explicit StoreUnderTest(const std::string& kind) : kind_(kind) {
    if (kind == "tcp" || kind == "prefix-over-tcp") server_ = TcpStoreServer::start("", 0, "job-1", kTestSecret);
    main_ = client();
  }
  Store& store() { return *main_; }
  std::shared_ptr<Store> shared() { return main_; }

  std::shared_ptr<Store> client() {
    if (kind_ == "hash") {
      if (!main_) main_ = std::make_shared<HashStore>();
      return main_;
    }
    if (kind_ == "file") return std::make_shared<FileStore>(dir_.file("store"));
    auto tcp = TcpStore::connect("127.0.0.1", server_->port(), "job-1", kTestSecret, Deadline::after(5));
    if (kind_ == "tcp") return tcp;
    return std::make_shared<PrefixStore>("group0", tcp);
  }

 private:
  std::string kind_;
  TempDir dir_;
  std::unique_ptr<TcpStoreServer> server_;
  std::shared_ptr<Store> main_;
};

}  // namespace weft::store::test
