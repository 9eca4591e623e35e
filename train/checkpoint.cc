// SPDX-License-Identifier: Apache-2.0
// The checkpoint file: "WEFTCKPT", version, fields, arrays, FNV-1a of all that.
#include "train/checkpoint.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <array>
#include <cstring>
#include <cstdio>
#include <stdexcept>

#include "train/util.h"

namespace weft::train {
namespace {

constexpr char kMagic[8] = {'W', 'E', 'F', 'T', 'C', 'K', 'P', 'T'};
constexpr uint32_t kVersion = 1;
constexpr uint64_t kMaxFloats = uint64_t(1) << 32;


template <class T>
void put(std::string& out, const T& v) {
  out.append(reinterpret_cast<const char*>(&v), sizeof(T));
}

void putFloats(std::string& out, const std::vector<float>& v) {
  put(out, uint64_t(v.size()));
  out.append(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(float));
}

class Reader {
 public:
  // Reads the body: everything before the trailing checksum.
  Reader(const std::string& bytes, size_t end, const std::string& path) : bytes_(bytes), end_(end), path_(path) {}
  template <class T>
  T get(const char* what) {
    T v;
    need(sizeof(T), what);
    std::memcpy(&v, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return v;
  }
  std::vector<float> floats(const char* what) {
    const uint64_t n = get<uint64_t>(what);
    if (n > kMaxFloats) fail(std::string("implausible length of ") + what);
    need(n * sizeof(float), what);
    std::vector<float> v(n);
    if (n > 0) std::memcpy(v.data(), bytes_.data() + at_, n * sizeof(float));
    at_ += n * sizeof(float);
    return v;
  }
  size_t at() const { return at_; }
  [[noreturn]] void fail(const std::string& why) const {
    throw std::runtime_error("checkpoint " + path_ + ": " + why);
  }

 private:
  void need(size_t n, const char* what) const {
    if (end_ - at_ < n) fail(std::string("truncated (in ") + what + ")");
  }
  const std::string& bytes_;
  const size_t end_;
  const std::string& path_;
  size_t at_ = 0;
};

[[noreturn]] void ioError(const std::string& what, const std::string& path) {
  throw std::runtime_error("checkpoint " + path + ": " + what + ": " + std::strerror(errno));
}

void writeAll(int fd, const std::string& data, const std::string& path) {
  for (size_t off = 0; off < data.size();) {
    const ssize_t w = ::write(fd, data.data() + off, data.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) ioError("write failed", path);
    off += size_t(w);
  }
}

}  // namespace

void writeCheckpoint(const std::string& path, const Checkpoint& c) {
  std::string out(kMagic, sizeof(kMagic));
  put(out, kVersion);
  put(out, c.epoch);
  put(out, c.stepInEpoch);
  put(out, c.globalStep);
  put(out, uint64_t(c.epochLossSums.size()));
  for (double v : c.epochLossSums) put(out, v);
  put(out, c.seed);
  put(out, c.worldSize);
  put(out, c.batchSize);
  for (uint64_t w : c.rng) put(out, w);
  put(out, uint8_t(c.sgdStarted));
  put(out, c.trainCount);
  putFloats(out, c.params);
  putFloats(out, c.momentum);
  put(out, fnv1a(out.data(), out.size()));
  // A crash at any point leaves either the old file or the new one, never a mix.
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) ioError("cannot create " + tmp, path);
  try {
    writeAll(fd, out, path);
    if (::fsync(fd) != 0) ioError("fsync failed", path);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    errno = err;
    ioError("rename from " + tmp + " failed", path);
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // makes the rename itself durable
    ::close(dfd);
  }
}

Checkpoint readCheckpoint(const std::string& path) {
  std::string bytes;
  {
    FILE* f = std::fopen(path.c_str(), "rb");
    if (!f) throw std::runtime_error("checkpoint " + path + ": cannot open: " + std::strerror(errno));
    char buf[1 << 16];
    size_t got;
    while ((got = std::fread(buf, 1, sizeof buf, f)) > 0) bytes.append(buf, got);
    const bool failed = std::ferror(f) != 0;
    const int err = errno;
    std::fclose(f);
    if (failed) throw std::runtime_error("checkpoint " + path + ": read failed: " + std::strerror(err));
  }
  Reader r(bytes, bytes.size() < 8 ? 0 : bytes.size() - 8, path);
  if (bytes.size() < sizeof(kMagic) || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0) {
    r.fail("not a weft checkpoint (bad magic)");
  }
  if (bytes.size() < sizeof(kMagic) + 8) r.fail("truncated");
  uint64_t stored;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (fnv1a(bytes.data(), bytes.size() - 8) != stored) r.fail("checksum mismatch (corrupt or truncated)");
  r.get<std::array<char, sizeof(kMagic)>>("magic");
  const uint32_t version = r.get<uint32_t>("version");
  if (version != kVersion) r.fail("version " + std::to_string(version) + ", expected " + std::to_string(kVersion));
  Checkpoint c;
  c.epoch = r.get<uint64_t>("epoch");
  c.stepInEpoch = r.get<uint64_t>("step");
  c.globalStep = r.get<uint64_t>("global step");
  const uint64_t ranks = r.get<uint64_t>("epoch losses");
  if (ranks > (uint64_t(1) << 24)) r.fail("implausible number of ranks in the epoch losses");
  for (uint64_t i = 0; i < ranks; ++i) c.epochLossSums.push_back(r.get<double>("epoch losses"));
  c.seed = r.get<uint64_t>("seed");
  c.worldSize = r.get<uint32_t>("world size");
  c.batchSize = r.get<uint32_t>("batch size");
  for (uint64_t& w : c.rng) w = r.get<uint64_t>("rng state");
  c.sgdStarted = r.get<uint8_t>("optimizer state") != 0;
  c.trainCount = r.get<uint64_t>("training set size");
  c.params = r.floats("parameters");
  c.momentum = r.floats("momentum");
  if (r.at() != bytes.size() - 8) r.fail("unexpected bytes after the momentum buffer");
  return c;
}

}  // namespace weft::train
