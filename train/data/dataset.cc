// SPDX-License-Identifier: Apache-2.0
// Loading an MNIST-layout split: locate the two files, read them, check they describe the same samples.
#include "train/data/dataset.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "train/data/idx.h"
#include "train/util.h"

namespace weft::train {
namespace {

constexpr int kClasses = 10;

// dir/base.gz if it exists, else dir/base; the error names both candidates so a typo in dir is obvious.
std::string findFile(const std::string& dir, const std::string& base) {
  const auto plain = std::filesystem::path(dir) / base;
  auto gz = plain;
  gz += ".gz";
  std::error_code ec;  // an unreadable dir counts as missing: the error below still names the paths tried
  if (std::filesystem::exists(gz, ec)) return gz.string();
  if (std::filesystem::exists(plain, ec)) return plain.string();
  throw std::runtime_error(gz.string() + ": not found (nor " + plain.string() + ")");
}


}  // namespace

Dataset loadMnist(const std::string& dir, bool train, size_t limit) {
  const std::string prefix = train ? "train" : "t10k";
  const std::string imagesPath = findFile(dir, prefix + "-images-idx3-ubyte");
  const std::string labelsPath = findFile(dir, prefix + "-labels-idx1-ubyte");
  IdxArray images = readIdx(imagesPath);
  IdxArray labels = readIdx(labelsPath);

  const auto dimsOf = [](const IdxArray& a) { return std::to_string(a.dims.size()) + "-D"; };
  if (images.dims.size() != 3) failFile(imagesPath, "expected 3-D images, found " + dimsOf(images));
  if (labels.dims.size() != 1) failFile(labelsPath, "expected 1-D labels, found " + dimsOf(labels));
  if (images.dims[0] != labels.dims[0]) {
    failFile(imagesPath, std::to_string(images.dims[0]) + " images but " + labelsPath + " has " +
                         std::to_string(labels.dims[0]) + " labels");
  }
  // An empty split would only fail later and less clearly (the sampler rejects size 0).
  if (images.data.empty()) failFile(imagesPath, "no images (dims contain a zero)");
  for (size_t i = 0; i < labels.data.size(); ++i) {
    if (labels.data[i] >= kClasses) {
      failFile(labelsPath, "label " + std::to_string(labels.data[i]) + " at index " + std::to_string(i) +
                           " is not in 0.." + std::to_string(kClasses - 1));
    }
  }

  Dataset ds;
  ds.count = limit > 0 ? std::min<size_t>(limit, images.dims[0]) : images.dims[0];
  // readIdx caps the array at 1 GiB, so each dim fits an int.
  ds.rows = int(images.dims[1]);
  ds.cols = int(images.dims[2]);
  ds.pixels = std::move(images.data);
  ds.pixels.resize(ds.count * ds.imageSize());
  ds.pixels.shrink_to_fit();  // a small limit should not keep the whole file in memory
  ds.labels = std::move(labels.data);
  ds.labels.resize(ds.count);
  ds.labels.shrink_to_fit();
  return ds;
}

void normalizeImages(const uint8_t* pixels, size_t n, float* out) {
  constexpr float kMean = 0.1307f, kStd = 0.3081f;
  for (size_t i = 0; i < n; ++i) out[i] = (float(pixels[i]) / 255.0f - kMean) / kStd;
}

}  // namespace weft::train
