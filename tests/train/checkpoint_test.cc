// SPDX-License-Identifier: Apache-2.0
// Training checkpoints: exact round trips, atomic overwrite without leftovers, and every damaged or unwritable case.
#include <catch2/catch.hpp>

#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "train/checkpoint.h"
#include "train/rng.h"
#include "train/util.h"

using namespace weft::train;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

// A fresh directory under $TMPDIR (or /tmp), removed on destruction.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::path(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") / "weft-ckpt-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::permissions(path, fs::perms::owner_all, fs::perm_options::add, ec);
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
  std::vector<std::string> entries() const {
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(path)) names.push_back(e.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
  }
};

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void writeFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  REQUIRE(out);
  out.write(bytes.data(), std::streamsize(bytes.size()));
  REQUIRE(out);
}

std::vector<uint32_t> bits(const std::vector<float>& v) {
  std::vector<uint32_t> b;
  for (float x : v) b.push_back(std::bit_cast<uint32_t>(x));
  return b;
}

// Field by field, floats by their bit patterns (so -0, NaN payloads and denormals count).
void requireEqual(const Checkpoint& got, const Checkpoint& want) {
  CHECK(got.epoch == want.epoch);
  CHECK(got.stepInEpoch == want.stepInEpoch);
  CHECK(got.globalStep == want.globalStep);
  REQUIRE(got.epochLossSums.size() == want.epochLossSums.size());
  for (size_t i = 0; i < got.epochLossSums.size(); ++i) {
    CHECK(std::bit_cast<uint64_t>(got.epochLossSums[i]) == std::bit_cast<uint64_t>(want.epochLossSums[i]));
  }
  CHECK(got.seed == want.seed);
  CHECK(got.worldSize == want.worldSize);
  CHECK(got.batchSize == want.batchSize);
  CHECK(got.trainCount == want.trainCount);
  CHECK(got.rng == want.rng);
  CHECK(got.sgdStarted == want.sgdStarted);
  CHECK(got.params.size() == want.params.size());
  CHECK(bits(got.params) == bits(want.params));
  CHECK(got.momentum.size() == want.momentum.size());
  CHECK(bits(got.momentum) == bits(want.momentum));
}

// Every field away from its default, and floats that a lossy format would change.
Checkpoint sample(size_t n = 7, bool withMomentum = true) {
  Checkpoint c;
  c.epoch = 7;
  c.stepInEpoch = 123;
  c.globalStep = (uint64_t(1) << 40) + 5;
  c.epochLossSums = {0.1 + 0.2,  // not a float, not a short decimal
                     1234.5, -0.0, std::bit_cast<double>(0x7ff8000000abcdefull)};  // the last a NaN with a payload
  c.seed = 0xdeadbeefcafebabeull;
  c.worldSize = 4;
  c.batchSize = 64;
  c.trainCount = 59999;
  Rng rng(42);
  rng.next();
  c.rng = rng.state();
  const std::vector<float> special = {-0.0f,
                                      std::numeric_limits<float>::denorm_min(),
                                      std::numeric_limits<float>::infinity(),
                                      -std::numeric_limits<float>::max(),
                                      std::bit_cast<float>(0x7fc12345u),  // NaN with a payload
                                      1.0f / 3.0f,
                                      -2.5e-30f};
  for (size_t i = 0; i < n; ++i) c.params.push_back(i < special.size() ? special[i] : float(i) * 0.01f - 3.0f);
  if (withMomentum) {
    for (size_t i = 0; i < n; ++i) c.momentum.push_back(float(i) * -0.125f + 0.3f);
  }
  c.sgdStarted = true;
  return c;
}

// The layout, from checkpoint.cc: magic 8, version 4, epoch/step/global step 8 each, the rank
// count 8 and a double per rank, seed 8, world/batch size 4 each, rng 32, started 1, training
// set size 8; then each
// float array as a u64 length and the floats; then the FNV-1a checksum.
constexpr size_t kRanksAt = 36;
size_t headerSize(size_t ranks) { return 101 + 8 * ranks; }
constexpr size_t kSampleRanks = 4;

// Replaces the trailing checksum with a correct one for the (edited) body.
std::string resealed(std::string bytes) {
  bytes.resize(bytes.size() - 8);
  const uint64_t h = weft::train::fnv1a(bytes.data(), bytes.size());
  bytes.append(reinterpret_cast<const char*>(&h), 8);
  return bytes;
}

template <class T>
void poke(std::string& bytes, size_t at, T v) {
  std::memcpy(bytes.data() + at, &v, sizeof(T));
}

}  // namespace

TEST_CASE("checkpoint round trip keeps every field exactly", "[train][checkpoint]") {
  TempDir dir;
  const std::string path = dir / "ckpt.bin";
  SECTION("with momentum") {
    const Checkpoint c = sample();
    writeCheckpoint(path, c);
    requireEqual(readCheckpoint(path), c);
    CHECK(fs::file_size(path) == headerSize(kSampleRanks) + 8 + 7 * 4 + 8 + 7 * 4 + 8);
  }
  SECTION("without momentum and not started") {
    Checkpoint c = sample(5, false);
    c.sgdStarted = false;
    writeCheckpoint(path, c);
    const Checkpoint got = readCheckpoint(path);
    requireEqual(got, c);
    CHECK(got.momentum.empty());
    CHECK_FALSE(got.sgdStarted);
  }
  SECTION("a default checkpoint (all zero, no arrays)") {
    writeCheckpoint(path, Checkpoint{});
    requireEqual(readCheckpoint(path), Checkpoint{});
    CHECK(fs::file_size(path) == headerSize(0) + 8 + 8 + 8);
    CHECK(readCheckpoint(path).epochLossSums.empty());
  }
  SECTION("one loss sum per rank for many ranks") {
    Checkpoint c = sample(3);
    c.worldSize = 1000;
    c.epochLossSums.clear();
    for (int i = 0; i < 1000; ++i) c.epochLossSums.push_back(i * 0.37 - 100);
    writeCheckpoint(path, c);
    requireEqual(readCheckpoint(path), c);
  }
  SECTION("extreme values") {
    Checkpoint c = sample(3);
    c.epoch = c.stepInEpoch = c.globalStep = c.seed = std::numeric_limits<uint64_t>::max();
    c.worldSize = c.batchSize = std::numeric_limits<uint32_t>::max();
    c.epochLossSums = {-std::numeric_limits<double>::denorm_min(), std::numeric_limits<double>::infinity()};
    c.rng = {~0ull, 0, 1ull << 63, 0x0123456789abcdefull};
    writeCheckpoint(path, c);
    requireEqual(readCheckpoint(path), c);
  }
  SECTION("a large model (several write calls' worth)") {
    Checkpoint c = sample(1 << 20);
    writeCheckpoint(path, c);
    requireEqual(readCheckpoint(path), c);
  }
  SECTION("a path without a directory part") {
    const fs::path old = fs::current_path();
    fs::current_path(dir.path);
    const Checkpoint c = sample();
    try {
      writeCheckpoint("relative.ckpt", c);
      requireEqual(readCheckpoint("relative.ckpt"), c);
    } catch (...) {
      fs::current_path(old);
      throw;
    }
    fs::current_path(old);
    CHECK(fs::exists(dir / "relative.ckpt"));
  }
  CHECK_FALSE(fs::exists(path + ".tmp"));
}

TEST_CASE("checkpoint overwrite replaces the old file and leaves nothing else", "[train][checkpoint]") {
  TempDir dir;
  const std::string path = dir / "ckpt.bin";
  const Checkpoint big = sample(1000), small = sample(3, false);
  writeCheckpoint(path, big);
  CHECK(dir.entries() == std::vector<std::string>{"ckpt.bin"});
  writeCheckpoint(path, small);  // shorter: no tail of the old file may survive
  requireEqual(readCheckpoint(path), small);
  CHECK(dir.entries() == std::vector<std::string>{"ckpt.bin"});
  writeCheckpoint(path, big);
  requireEqual(readCheckpoint(path), big);
  CHECK(dir.entries() == std::vector<std::string>{"ckpt.bin"});

  SECTION("a stale .tmp from a crashed writer is replaced, not appended to") {
    writeFile(path + ".tmp", std::string(100000, 'x'));
    writeCheckpoint(path, small);
    requireEqual(readCheckpoint(path), small);
    CHECK(dir.entries() == std::vector<std::string>{"ckpt.bin"});
  }
}

TEST_CASE("readCheckpoint: a missing file", "[train][checkpoint]") {
  TempDir dir;
  const std::string path = dir / "nothing-here.ckpt";
  REQUIRE_THROWS_AS(readCheckpoint(path), std::runtime_error);
  REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains("cannot open") &&
                                                Contains("No such file or directory"));
}

TEST_CASE("readCheckpoint: not a checkpoint", "[train][checkpoint]") {
  TempDir dir;
  const std::string path = dir / "notes.txt";
  SECTION("a text file") {
    writeFile(path, "epoch=3\nstep=10\nthese are not the bytes you are looking for\n");
  }
  SECTION("an empty file") { writeFile(path, ""); }
  SECTION("a checkpoint with its first byte changed") {
    writeCheckpoint(path, sample());
    std::string b = readFile(path);
    b[0] = 'w';
    writeFile(path, resealed(b));
  }
  REQUIRE_THROWS_AS(readCheckpoint(path), std::runtime_error);
  REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains("bad magic"));
}

TEST_CASE("readCheckpoint: a directory", "[train][checkpoint]") {
  TempDir dir;
  REQUIRE_THROWS_AS(readCheckpoint(dir.path.string()), std::runtime_error);
}

TEST_CASE("readCheckpoint: truncated files", "[train][checkpoint]") {
  TempDir dir;
  const std::string good = dir / "good.ckpt", path = dir / "cut.ckpt";
  writeCheckpoint(good, sample(7));
  const std::string bytes = readFile(good);
  const size_t header = headerSize(kSampleRanks), params = header + 8, momentum = params + 7 * 4 + 8;
  REQUIRE(bytes.size() == momentum + 7 * 4 + 8);
  // In the version, in the counters, in the rank count, in the loss sums, in the seed and sizes,
  // in the rng state, on the flag, in the params length, in the params, in the momentum length,
  // in the momentum, in and just before the checksum.
  for (size_t len : {size_t(8), size_t(10), size_t(12), size_t(16), size_t(30), kRanksAt, kRanksAt + 4,
                     kRanksAt + 8, kRanksAt + 8 + 13, kRanksAt + 8 + 32, header - 45, header - 35, header - 20,
                     header - 1, header, header + 4, params, params + 13, momentum - 8, momentum - 3, momentum,
                     momentum + 5, bytes.size() - 9, bytes.size() - 8, bytes.size() - 1}) {
    DYNAMIC_SECTION("cut to " << len << " of " << bytes.size() << " bytes") {
      writeFile(path, bytes.substr(0, len));
      REQUIRE_THROWS_AS(readCheckpoint(path), std::runtime_error);
      REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains("truncated"));
    }
  }
  SECTION("inside the magic") {
    for (size_t len = 0; len < 8; ++len) {
      writeFile(path, bytes.substr(0, len));
      REQUIRE_THROWS_AS(readCheckpoint(path), std::runtime_error);
      REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path));
    }
  }
  SECTION("every other length") {
    for (size_t len = 8; len < bytes.size(); ++len) {
      writeFile(path, bytes.substr(0, len));
      REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains("truncated"));
    }
  }
  SECTION("extra bytes at the end") {
    writeFile(path, bytes + std::string(4, '\0'));
    REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains("checksum mismatch"));
  }
}

TEST_CASE("readCheckpoint: a flipped byte anywhere fails the checksum", "[train][checkpoint]") {
  TempDir dir;
  const std::string good = dir / "good.ckpt", path = dir / "flipped.ckpt";
  writeCheckpoint(good, sample(7));
  const std::string bytes = readFile(good);
  for (unsigned char mask : {0x01, 0x80, 0xff}) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      std::string b = bytes;
      b[i] = char(b[i] ^ mask);
      writeFile(path, b);
      INFO("byte " << i << " of " << bytes.size() << " xor " << int(mask));
      REQUIRE_THROWS_AS(readCheckpoint(path), std::runtime_error);
      // The magic is checked before the checksum.
      REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains(i < 8 ? "bad magic" : "checksum mismatch"));
    }
  }
}

TEST_CASE("readCheckpoint: well-sealed but inconsistent contents", "[train][checkpoint]") {
  TempDir dir;
  const std::string good = dir / "good.ckpt", path = dir / "odd.ckpt";
  writeCheckpoint(good, sample(7));
  std::string b = readFile(good);
  const size_t params = headerSize(kSampleRanks), momentum = params + 8 + 7 * 4;
  REQUIRE(resealed(b) == b);  // our reading of the format agrees with the writer

  SECTION("another version") {
    poke<uint32_t>(b, 8, 2);
    writeFile(path, resealed(b));
    REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains("version 2, expected 1"));
  }
  SECTION("an implausible rank count") {
    poke<uint64_t>(b, kRanksAt, (uint64_t(1) << 24) + 1);
    writeFile(path, resealed(b));
    REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains("implausible number of ranks"));
  }
  SECTION("a rank count past the end") {
    poke<uint64_t>(b, kRanksAt, uint64_t(1) << 24);
    writeFile(path, resealed(b));
    REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains("truncated (in epoch losses)"));
  }
  SECTION("a rank count that shifts the rest of the file") {
    poke<uint64_t>(b, kRanksAt, kSampleRanks - 1);
    writeFile(path, resealed(b));
    REQUIRE_THROWS_AS(readCheckpoint(path), std::runtime_error);
    REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path));
  }
  SECTION("an implausible array length") {
    poke<uint64_t>(b, params, (uint64_t(1) << 32) + 1);
    writeFile(path, resealed(b));
    REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains("implausible length of parameters"));
  }
  SECTION("an array length past the end") {
    poke<uint64_t>(b, momentum, 1000);
    writeFile(path, resealed(b));
    REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains("truncated (in momentum)"));
  }
  SECTION("an array length short of the end") {
    poke<uint64_t>(b, momentum, 6);
    writeFile(path, resealed(b));
    REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path) && Contains("unexpected bytes"));
  }
  SECTION("an array length reaching into the checksum") {
    poke<uint64_t>(b, momentum, 9);
    writeFile(path, resealed(b));
    REQUIRE_THROWS_AS(readCheckpoint(path), std::runtime_error);
    REQUIRE_THROWS_WITH(readCheckpoint(path), Contains(path));
  }
}

TEST_CASE("writeCheckpoint: an unwritable path", "[train][checkpoint]") {
  TempDir dir;
  const Checkpoint c = sample();
  SECTION("a directory that does not exist") {
    const std::string path = dir / "no/such/dir/ckpt.bin";
    REQUIRE_THROWS_AS(writeCheckpoint(path, c), std::runtime_error);
    REQUIRE_THROWS_WITH(writeCheckpoint(path, c), Contains(path) && Contains("cannot create") &&
                                                      Contains("No such file or directory"));
  }
  SECTION("a parent that is a file") {
    writeFile(dir / "plain", "x");
    const std::string path = dir / "plain/ckpt.bin";
    REQUIRE_THROWS_WITH(writeCheckpoint(path, c), Contains(path) && Contains("Not a directory"));
  }
  SECTION("a read-only directory (not for root)") {
    if (geteuid() == 0) return;  // root writes anyway
    const std::string sub = dir / "ro";
    fs::create_directory(sub);
    fs::permissions(sub, fs::perms::owner_read | fs::perms::owner_exec);
    const std::string path = sub + "/ckpt.bin";
    REQUIRE_THROWS_WITH(writeCheckpoint(path, c), Contains(path) && Contains("Permission denied"));
    fs::permissions(sub, fs::perms::owner_all);
    CHECK(fs::is_empty(sub));
  }
  SECTION("the name of a directory") {
    const std::string path = dir / "taken";
    fs::create_directory(path);
    writeFile(path + "/inside", "x");
    REQUIRE_THROWS_AS(writeCheckpoint(path, c), std::runtime_error);
    REQUIRE_THROWS_WITH(writeCheckpoint(path, c), Contains(path) && Contains("rename"));
    CHECK(fs::is_directory(path));
  }
}

// A failed rename removes the temporary file, as failed writes do.
TEST_CASE("writeCheckpoint removes its .tmp when the rename fails", "[train][checkpoint]") {
  TempDir dir;
  const std::string path = dir / "taken";
  fs::create_directory(path);
  writeFile(path + "/inside", "x");
  REQUIRE_THROWS_AS(writeCheckpoint(path, sample()), std::runtime_error);
  CHECK_FALSE(fs::exists(path + ".tmp"));
}

// A read error after a successful open (here EISDIR) names the file too.
TEST_CASE("readCheckpoint names the file when reading it fails", "[train][checkpoint]") {
  TempDir dir;
  REQUIRE_THROWS_WITH(readCheckpoint(dir.path.string()), Contains(dir.path.string()));
}
