// SPDX-License-Identifier: Apache-2.0
// The training data path: IDX reading (plain, gzip, every malformed case), MNIST loading, DistributedSampler.
#include <catch2/catch.hpp>
#include <zlib.h>

#include <stdlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "train/data/dataset.h"
#include "train/data/idx.h"
#include "train/data/sampler.h"
#include "train/rng.h"

using namespace weft::train;
using Catch::Contains;
namespace fs = std::filesystem;

namespace {

using Bytes = std::vector<uint8_t>;

// A fresh directory under $TMPDIR (or /tmp), removed on destruction.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string tmpl = (fs::path(getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp") / "weft-data-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  std::string operator/(const std::string& name) const { return (path / name).string(); }
};

// Magic (type, ndims) and big-endian dims, then data.
Bytes idx(const std::vector<uint32_t>& dims, const Bytes& data, uint8_t type = 0x08) {
  Bytes b = {0, 0, type, uint8_t(dims.size())};
  for (uint32_t d : dims) b.insert(b.end(), {uint8_t(d >> 24), uint8_t(d >> 16), uint8_t(d >> 8), uint8_t(d)});
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

Bytes randomBytes(size_t n, uint64_t seed) {
  Rng rng(seed);
  Bytes b(n);
  for (auto& x : b) x = uint8_t(rng.next());
  return b;
}

void writePlain(const std::string& path, const Bytes& b) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
}

void writeGz(const std::string& path, const Bytes& b) {
  gzFile gz = gzopen(path.c_str(), "wb");
  REQUIRE(gz != nullptr);
  if (!b.empty()) REQUIRE(gzwrite(gz, b.data(), unsigned(b.size())) == int(b.size()));
  REQUIRE(gzclose(gz) == Z_OK);
}

Bytes readAll(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

// Where the real Fashion-MNIST files are, or "" (with a WARN) when they are not installed.
std::string fashionDir() {
  const char* env = getenv("WEFT_FASHION_MNIST_DIR");
  std::string dir = env && *env ? env : "/usr/share/datasets/fashion-mnist";
  if (fs::is_directory(dir)) return dir;
  WARN("no Fashion-MNIST at " << dir << " (set WEFT_FASHION_MNIST_DIR): skipped");
  return "";
}

}  // namespace

TEST_CASE("readIdx reads plain and gzip files back exactly", "[train][data]") {
  TempDir tmp;
  const bool gz = GENERATE(false, true);
  const std::vector<std::vector<uint32_t>> shapes = {{5}, {3, 2, 4}, {2, 1, 3, 2}, {4, 0, 7}};
  for (const auto& dims : shapes) {
    const size_t n = std::accumulate(dims.begin(), dims.end(), size_t(1), std::multiplies<>());
    const Bytes data = randomBytes(n, n);
    const std::string path = tmp / "a.idx";
    (gz ? writeGz : writePlain)(path, idx(dims, data));
    const IdxArray a = readIdx(path);
    REQUIRE(a.dims == dims);
    REQUIRE(a.data == data);
  }
}

TEST_CASE("readIdx rejects malformed files with the file name and the reason", "[train][data]") {
  struct Case {
    const char* name;
    Bytes bytes;
    const char* reason;
  };
  const uint32_t kMax = 0xFFFFFFFF;
  const std::vector<Case> cases = {
      {"empty", {}, "truncated: expected 4 header bytes, found 0"},
      {"text", {'h', 'e', 'l', 'l', 'o', '\n'}, "not an IDX file: bad magic 0x68656C6C"},
      {"garbage", randomBytes(4096, 7), "bad magic"},
      {"float type", idx({1}, {0, 0, 0, 0}, 0x0D), "unsupported element type 0x0D"},
      {"zero dims", {0, 0, 8, 0}, "zero dims"},
      {"five dims", idx({1, 1, 1, 1, 1}, {1}), "too many dims: 5"},
      {"dims cut", {0, 0, 8, 3, 0, 0, 0, 2, 0, 0}, "truncated: expected 12 dims bytes, found 6"},
      {"overflow", idx({kMax, kMax, kMax, kMax}, {}), "dims 4294967295 x 4294967295 x 4294967295 x 4294967295 exceed"},
      {"over cap", idx({1 << 16, (1 << 14) + 1}, {}), "exceed the limit of 1073741824 bytes"},
      // Exactly at the cap is allowed, and the missing data is noticed without allocating 1 GiB up front.
      {"at cap", idx({1 << 15, 1 << 15}, {}), "truncated: expected 1073741824 data bytes, found 0"},
      {"data cut", idx({10}, Bytes(7, 1)), "truncated: expected 10 data bytes, found 7"},
      {"trailing", idx({3}, Bytes(5, 1)), "2 trailing bytes after the 3 data bytes"},
  };
  TempDir tmp;
  for (const auto& c : cases) {
    for (bool gz : {false, true}) {
      DYNAMIC_SECTION(c.name << (gz ? " (gzip)" : " (plain)")) {
        const std::string path = tmp / (std::string("bad-") + (gz ? "gz-" : "") + std::to_string(&c - &cases[0]));
        (gz ? writeGz : writePlain)(path, c.bytes);
        REQUIRE_THROWS_AS(readIdx(path), std::runtime_error);
        REQUIRE_THROWS_WITH(readIdx(path), Contains(path + ": ") && Contains(c.reason));
        REQUIRE_THROWS_WITH(parseIdx(readAll(path), "mem"), Catch::StartsWith("mem: ") && Contains(c.reason));
      }
    }
  }
  SECTION("missing file") {
    const std::string path = tmp / "nope.idx";
    REQUIRE_THROWS_WITH(readIdx(path), Contains(path + ": cannot open: No such file or directory"));
  }
  SECTION("directory") {
    REQUIRE_THROWS_WITH(readIdx(tmp.path.string()), Contains(tmp.path.string() + ": read error: Is a directory"));
  }
}

TEST_CASE("readIdx reports damaged gzip streams with zlib's message", "[train][data]") {
  TempDir tmp;
  const std::string good = tmp / "good.gz", bad = tmp / "bad.gz";
  writeGz(good, idx({100, 50}, randomBytes(5000, 3)));  // random data: the deflate stream is about 5 KB
  const Bytes gz = readAll(good);

  SECTION("cut in the middle") {
    writePlain(bad, Bytes(gz.begin(), gz.begin() + std::ptrdiff_t(gz.size() / 2)));
    REQUIRE_THROWS_WITH(readIdx(bad), Contains(bad + ": truncated: expected 5000 data bytes, found ") &&
                                          Contains("(unexpected end of file)"));
  }
  SECTION("trailer missing") {
    writePlain(bad, Bytes(gz.begin(), gz.end() - 8));
    REQUIRE_THROWS_WITH(readIdx(bad), Contains(bad + ": truncated gzip stream: unexpected end of file"));
  }
  SECTION("CRC wrong") {
    Bytes b = gz;
    b[b.size() - 8] ^= 0xFF;
    writePlain(bad, b);
    REQUIRE_THROWS_WITH(readIdx(bad), Contains(bad + ": corrupt gzip stream: incorrect data check"));
    // zlib names a buffer "<fd:N>"; only our name prefixes the message.
    REQUIRE_THROWS_WITH(parseIdx(b, "mem"), Catch::Equals("mem: corrupt gzip stream: incorrect data check"));
  }
  SECTION("garbage after a gzip header") {
    Bytes b(gz.begin(), gz.begin() + 10);
    const Bytes junk = randomBytes(4096, 11);
    b.insert(b.end(), junk.begin(), junk.end());
    writePlain(bad, b);
    REQUIRE_THROWS_WITH(readIdx(bad), Contains(bad + ": corrupt gzip stream: "));
  }
}

TEST_CASE("parseIdx reads the bytes of plain and gzip files as readIdx reads the files", "[train][data]") {
  TempDir tmp;
  const Bytes data = randomBytes(24, 5);
  for (bool gz : {false, true}) {
    const std::string path = tmp / (gz ? "a.gz" : "a.idx");
    (gz ? writeGz : writePlain)(path, idx({2, 3, 4}, data));
    const IdxArray a = parseIdx(readAll(path), "mem");
    CHECK(a.dims == std::vector<uint32_t>{2, 3, 4});
    CHECK(a.data == data);
  }
}

TEST_CASE("readIdx stops reading a flood of trailing bytes after the first few", "[train][data]") {
  // 16 MiB of zeros inflate from about 16 KB: counting them all would let a small file cost a long read.
  TempDir tmp;
  const std::string path = tmp / "flood.gz";
  Bytes b = idx({3}, {1, 2, 3});
  b.resize(b.size() + (size_t(16) << 20));
  writeGz(path, b);
  REQUIRE_THROWS_WITH(readIdx(path), Contains(path + ": at least 4096 trailing bytes after the 3 data bytes"));
}

TEST_CASE("Fashion-MNIST loads with its known shape and class balance", "[train][data]") {
  const std::string dir = fashionDir();
  if (dir.empty()) return;
  const std::string images = dir + "/train-images-idx3-ubyte";
  const IdxArray raw = readIdx(fs::exists(images + ".gz") ? images + ".gz" : images);
  REQUIRE(raw.dims == std::vector<uint32_t>{60000, 28, 28});
  REQUIRE(raw.data.size() == size_t(60000) * 28 * 28);

  for (bool train : {true, false}) {
    const Dataset ds = loadMnist(dir, train);
    const size_t count = train ? 60000 : 10000;
    REQUIRE(ds.count == count);
    REQUIRE(ds.rows == 28);
    REQUIRE(ds.cols == 28);
    REQUIRE(ds.pixels.size() == count * ds.imageSize());
    REQUIRE(ds.labels.size() == count);
    // Fashion-MNIST has exactly count / 10 samples of each class.
    std::vector<size_t> perClass(10);
    for (uint8_t l : ds.labels) perClass.at(l)++;
    REQUIRE(std::all_of(perClass.begin(), perClass.end(), [&](size_t c) { return c == count / 10; }));
    REQUIRE(std::accumulate(ds.pixels.begin(), ds.pixels.end(), uint64_t(0)) > 0);
    REQUIRE(*std::max_element(ds.pixels.begin(), ds.pixels.end()) == 255);
    const Bytes head = train ? Bytes{9, 0, 0, 3, 0, 2, 7, 2, 5, 5} : Bytes{9, 2, 1, 1, 6, 1, 4, 6, 5, 7};
    REQUIRE(Bytes(ds.labels.begin(), ds.labels.begin() + 10) == head);
  }

  const Dataset full = loadMnist(dir, false);
  const Dataset first = loadMnist(dir, false, 100);
  REQUIRE(first.count == 100);
  REQUIRE(first.labels == Bytes(full.labels.begin(), full.labels.begin() + 100));
  REQUIRE(first.pixels == Bytes(full.pixels.begin(), full.pixels.begin() + 100 * 784));
  REQUIRE(loadMnist(dir, false, 20000).count == 10000);
}

TEST_CASE("loadMnist finds .gz or plain files and checks they agree", "[train][data]") {
  TempDir tmp;
  const Bytes px = randomBytes(2 * 2 * 3, 5);
  writePlain(tmp / "t10k-images-idx3-ubyte", idx({2, 2, 3}, Bytes(12, 0)));
  writeGz(tmp / "t10k-images-idx3-ubyte.gz", idx({2, 2, 3}, px));
  const std::string labels = tmp / "t10k-labels-idx1-ubyte";
  REQUIRE_THROWS_WITH(loadMnist(tmp.path, false), Contains(labels + ".gz: not found (nor " + labels + ")"));

  writePlain(labels, idx({2}, {7, 9}));
  const Dataset ds = loadMnist(tmp.path, false);  // the .gz images win over the plain ones
  REQUIRE(ds.count == 2);
  REQUIRE(ds.rows == 2);
  REQUIRE(ds.cols == 3);
  REQUIRE(ds.pixels == px);
  REQUIRE(ds.labels == Bytes{7, 9});
  REQUIRE(loadMnist(tmp.path, false, 1).pixels == Bytes(px.begin(), px.begin() + 6));

  const std::string images = tmp / "t10k-images-idx3-ubyte.gz";
  writePlain(labels, idx({3}, {1, 2, 3}));
  REQUIRE_THROWS_WITH(loadMnist(tmp.path, false), Contains(images + ": 2 images but " + labels + " has 3 labels"));
  writePlain(labels, idx({2}, {3, 10}));
  REQUIRE_THROWS_WITH(loadMnist(tmp.path, false), Contains(labels + ": label 10 at index 1 is not in 0..9"));
  writePlain(labels, idx({2, 1}, {3, 4}));
  REQUIRE_THROWS_WITH(loadMnist(tmp.path, false), Contains(labels + ": expected 1-D labels, found 2-D"));
  writePlain(labels, idx({2}, {3, 4}));
  writeGz(images, idx({2, 6}, px));
  REQUIRE_THROWS_WITH(loadMnist(tmp.path, false), Contains(images + ": expected 3-D images, found 2-D"));
  writeGz(images, idx({2, 0, 3}, {}));
  REQUIRE_THROWS_WITH(loadMnist(tmp.path, false), Contains(images + ": no images"));
}

TEST_CASE("normalizeImages applies (x / 255 - 0.1307) / 0.3081", "[train][data]") {
  const Bytes px = {0, 1, 33, 128, 255};
  std::vector<float> out(px.size());
  normalizeImages(px.data(), px.size(), out.data());
  for (size_t i = 0; i < px.size(); ++i) REQUIRE(out[i] == Approx((px[i] / 255.0 - 0.1307) / 0.3081).epsilon(1e-6));
  REQUIRE(out[0] == Approx(-0.424212917));
  REQUIRE(out[4] == Approx(2.821486539));
}

TEST_CASE("DistributedSampler splits like PyTorch's", "[train][data][sampler]") {
  SECTION("closed form without shuffle") {
    auto rankIndices = [](bool dropLast, int r) { return DistributedSampler(10, 3, r, false, 0, dropLast).indices(); };
    REQUIRE(rankIndices(false, 0) == std::vector<size_t>{0, 3, 6, 9});
    REQUIRE(rankIndices(false, 1) == std::vector<size_t>{1, 4, 7, 0});
    REQUIRE(rankIndices(false, 2) == std::vector<size_t>{2, 5, 8, 1});
    REQUIRE(rankIndices(true, 2) == std::vector<size_t>{2, 5, 8});
    REQUIRE(DistributedSampler(2, 5, 4, false, 0).indices() == std::vector<size_t>{0});  // padding wraps twice
    REQUIRE(DistributedSampler(2, 5, 4, false, 0, true).indices().empty());
  }
  SECTION("shuffle is Fisher-Yates over Rng(seed + epoch)") {
    DistributedSampler s(13, 1, 0, true, 40);
    s.setEpoch(2);
    std::vector<size_t> want(13);
    std::iota(want.begin(), want.end(), size_t(0));
    Rng rng(42);
    for (size_t i = want.size() - 1; i > 0; --i) std::swap(want[i], want[rng.below(i + 1)]);
    REQUIRE(s.indices() == want);
    REQUIRE(DistributedSampler(13, 1, 0, true, 42).indices() == want);
  }
  SECTION("bad arguments") {
    REQUIRE_THROWS_AS(DistributedSampler(10, 0, 0, false, 0), std::invalid_argument);
    REQUIRE_THROWS_AS(DistributedSampler(10, 3, -1, false, 0), std::invalid_argument);
    REQUIRE_THROWS_AS(DistributedSampler(10, 3, 3, false, 0), std::invalid_argument);
    REQUIRE_THROWS_AS(DistributedSampler(0, 1, 0, false, 0), std::invalid_argument);
  }
}

TEST_CASE("DistributedSampler covers the dataset on every rank count", "[train][data][sampler]") {
  const size_t n = GENERATE(as<size_t>{}, 1, 7, 10, 13, 60000);
  const int ranks = GENERATE(1, 2, 3, 5, 8);
  const bool shuffle = GENERATE(false, true);
  const bool dropLast = GENERATE(false, true);
  const size_t perRank = dropLast ? n / size_t(ranks) : (n + size_t(ranks) - 1) / size_t(ranks);
  CAPTURE(n, ranks, shuffle, dropLast);
  std::vector<size_t> previous;
  for (uint64_t epoch = 0; epoch < (n == 60000 ? 1u : 3u); ++epoch) {
    // Each rank builds its own sampler, as separate processes would.
    std::vector<size_t> concat, all;
    for (int r = 0; r < ranks; ++r) {
      DistributedSampler s(n, ranks, r, shuffle, 1234, dropLast);
      s.setEpoch(epoch);
      REQUIRE(s.numSamples() == perRank);
      REQUIRE(s.totalSize() == perRank * size_t(ranks));
      const auto mine = s.indices();
      REQUIRE(mine.size() == perRank);
      concat.insert(concat.end(), mine.begin(), mine.end());
      if (r == 0) all = s.allIndices();
      REQUIRE(s.allIndices() == all);  // every rank sees the same split
    }
    REQUIRE(concat == all);
    // Undo the strided split: rank r's k-th index sits at position r + k * ranks of the padded list.
    std::vector<size_t> padded(all.size());
    for (size_t p = 0; p < padded.size(); ++p) padded[p] = all[(p % size_t(ranks)) * perRank + p / size_t(ranks)];
    std::vector<size_t> copies(n);
    for (size_t i : padded) copies.at(i)++;
    const auto [lo, hi] = std::minmax_element(copies.begin(), copies.end());
    REQUIRE(*hi - *lo <= 1);
    if (dropLast) {
      REQUIRE(*hi <= 1);
    } else {
      REQUIRE(*lo >= 1);  // every index at least once, exactly once when ranks divide n
      if (n % size_t(ranks) == 0) REQUIRE(*hi == 1);
      // The totalSize - n padded copies repeat the list from its start.
      REQUIRE(std::accumulate(copies.begin(), copies.end(), size_t(0)) - n == perRank * size_t(ranks) - n);
      REQUIRE(std::equal(padded.begin() + std::ptrdiff_t(n), padded.end(), padded.begin()));
    }
    if (!shuffle) {
      std::vector<size_t> inOrder(padded.size());
      for (size_t p = 0; p < inOrder.size(); ++p) inOrder[p] = p % n;
      REQUIRE(padded == inOrder);
    }
    // Fixed seeds; from 5 picks out of 7 a repeat would be a bug, not chance.
    if (shuffle && n >= 7 && all.size() >= 5 && epoch > 0) REQUIRE(all != previous);
    previous = all;
  }
}
