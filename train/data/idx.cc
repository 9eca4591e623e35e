// SPDX-License-Identifier: Apache-2.0
// IDX reading through zlib, validating every header field before trusting it.
#include "train/data/idx.h"

#include <sys/mman.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>

#include "train/util.h"

namespace weft::train {
namespace {

constexpr uint8_t kTypeUnsignedByte = 0x08;
constexpr size_t kMaxDims = 4;
constexpr size_t kChunk = size_t(1) << 20;

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;


// zlib's reason for the last error, or "" when there is none. gzerror() prefixes messages with the name it knows
// the file by (the path, or "<fd:N>" from gzdopen); strip that so our own prefix is not doubled.
std::string gzReason(gzFile gz, const std::string& path) {
  int code = Z_OK;
  std::string msg = gzerror(gz, &code);
  if (code == Z_OK) return "";
  if (msg.starts_with(path + ": ")) msg.erase(0, path.size() + 2);
  const size_t fdEnd = msg.find(">: ");
  if (msg.starts_with("<fd:") && fdEnd != std::string::npos) msg.erase(0, fdEnd + 3);
  return msg.empty() ? "zlib error " + std::to_string(code) : msg;
}

// A failed read: the file itself (Z_ERRNO, e.g. a directory or an I/O error) or the data in it.
[[noreturn]] void failStream(gzFile gz, const std::string& path) {
  int code = Z_OK;
  gzerror(gz, &code);
  failFile(path, (code == Z_ERRNO ? "read error: " : "corrupt gzip stream: ") + gzReason(gz, path));
}

// Reads up to n bytes; fewer only at end of input. A stream error throws with zlib's message.
size_t readUpTo(gzFile gz, const std::string& path, uint8_t* buf, size_t n) {
  size_t got = 0;
  while (got < n) {
    const unsigned want = unsigned(std::min(n - got, kChunk));
    const int r = gzread(gz, buf + got, want);
    if (r < 0) failStream(gz, path);
    got += size_t(r);
    if (unsigned(r) < want) {
      // zlib hands over what it decoded before a data error and reports -1 only on the next call; report the
      // error now. Z_BUF_ERROR is a stream cut short, which the caller words as truncation.
      int code = Z_OK;
      gzerror(gz, &code);
      if (code != Z_OK && code != Z_BUF_ERROR) failStream(gz, path);
      break;
    }
  }
  return got;
}

// A short read is either a plain end of file or a cut-off gzip stream; name the latter.
std::string truncated(gzFile gz, const std::string& path, const std::string& what, size_t expected, size_t found) {
  std::string msg = "truncated: expected " + std::to_string(expected) + " " + what + " bytes, found " +
                    std::to_string(found);
  if (auto reason = gzReason(gz, path); !reason.empty()) msg += " (" + reason + ")";
  return msg;
}

uint32_t bigEndian32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | uint32_t(p[3]);
}

std::string hexByte(unsigned v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", v & 0xFF);
  return buf;
}

std::string dimsText(const std::vector<uint32_t>& dims) {
  std::string s;
  for (size_t i = 0; i < dims.size(); ++i) s += (i ? " x " : "") + std::to_string(dims[i]);
  return s;
}

// Product of dims, refusing anything above kIdxMaxBytes. Checked one factor at a time so it cannot overflow; a
// zero dim anywhere makes the array empty, whatever the other dims say.
uint64_t checkedSize(const std::vector<uint32_t>& dims, const std::string& path) {
  if (std::find(dims.begin(), dims.end(), 0u) != dims.end()) return 0;
  uint64_t size = 1;
  for (uint32_t d : dims) {
    if (size > kIdxMaxBytes / d) {
      failFile(path, "dims " + dimsText(dims) + " exceed the limit of " + std::to_string(kIdxMaxBytes) + " bytes");
    }
    size *= d;
  }
  return size;
}

// The IDX array in `gz`, opened on `path` (which errors name) and not yet read.
IdxArray readFrom(const GzFile& gz, const std::string& path) {
  gzbuffer(gz.get(), 128 * 1024);  // before the first read; the default 8 KiB makes big files slow

  uint8_t magic[4];
  if (size_t n = readUpTo(gz.get(), path, magic, 4); n < 4) failFile(path, truncated(gz.get(), path, "header", 4, n));
  if (magic[0] != 0 || magic[1] != 0) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08X", bigEndian32(magic));
    failFile(path, std::string("not an IDX file: bad magic ") + buf + " (expected 0x000008nn)");
  }
  if (magic[2] != kTypeUnsignedByte) {
    failFile(path, "unsupported element type " + hexByte(magic[2]) + " (only 0x08, unsigned byte, is supported)");
  }
  const size_t ndims = magic[3];
  if (ndims == 0) failFile(path, "zero dims (expected 1.." + std::to_string(kMaxDims) + ")");
  if (ndims > kMaxDims) {
    failFile(path, "too many dims: " + std::to_string(ndims) + " (expected 1.." + std::to_string(kMaxDims) + ")");
  }

  uint8_t raw[4 * kMaxDims];
  if (size_t n = readUpTo(gz.get(), path, raw, 4 * ndims); n < 4 * ndims) {
    failFile(path, truncated(gz.get(), path, "dims", 4 * ndims, n));
  }
  IdxArray out;
  for (size_t i = 0; i < ndims; ++i) out.dims.push_back(bigEndian32(raw + 4 * i));
  const size_t size = size_t(checkedSize(out.dims, path));

  // Grow with the data actually read, so a header that lies about its size costs at most a chunk, or once a whole
  // chunk has arrived the 64 MiB reserved then (enough for the 47 MB Fashion-MNIST training images in one
  // allocation), beyond what the file holds. A dozen bytes of header alone must not allocate 64 MiB.
  size_t got = 0;
  while (got < size) {
    if (got == kChunk) out.data.reserve(std::min(size, size_t(64) << 20));
    const size_t want = std::min(size - got, kChunk);
    out.data.resize(got + want);
    const size_t n = readUpTo(gz.get(), path, out.data.data() + got, want);
    got += n;
    if (n < want) failFile(path, truncated(gz.get(), path, "data", size, got));
  }

  // Reading past the data also makes zlib check the gzip trailer (CRC and length). One buffer's worth is read at
  // most: a few kilobytes of gzip can inflate to gigabytes of trailing bytes, which need not be counted.
  uint8_t extra[4096];
  const size_t trailing = readUpTo(gz.get(), path, extra, sizeof extra);
  if (auto reason = gzReason(gz.get(), path); !reason.empty()) failFile(path, "truncated gzip stream: " + reason);
  if (trailing) {
    failFile(path, (trailing == sizeof extra ? "at least " : "") + std::to_string(trailing) +
                       " trailing bytes after the " + std::to_string(size) + " data bytes");
  }
  return out;
}

}  // namespace

IdxArray readIdx(const std::string& path) {
  errno = 0;
  GzFile gz(gzopen(path.c_str(), "rb"));
  if (!gz) failFile(path, std::string("cannot open: ") + (errno ? std::strerror(errno) : "out of memory"));
  return readFrom(gz, path);
}

IdxArray parseIdx(std::span<const uint8_t> bytes, const std::string& name) {
  // zlib reads gzip and plain input alike only through a file descriptor (gzdopen): an anonymous in-memory file
  // gives the bytes one, so they take exactly the path readIdx's files take.
  const int fd = ::memfd_create("weft-idx", MFD_CLOEXEC);
  if (fd < 0) failFile(name, std::string("cannot buffer: ") + std::strerror(errno));
  for (size_t done = 0; done < bytes.size();) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = errno;
      ::close(fd);
      failFile(name, std::string("cannot buffer: ") + std::strerror(err));
    }
    done += size_t(n);
  }
  ::lseek(fd, 0, SEEK_SET);
  GzFile gz(gzdopen(fd, "rb"));  // owns fd from here
  if (!gz) {
    ::close(fd);
    failFile(name, "cannot open: out of memory");
  }
  return readFrom(gz, name);
}

}  // namespace weft::train
