// SPDX-License-Identifier: Apache-2.0
// MNIST-layout image datasets (MNIST, Fashion-MNIST) loaded from IDX files, and the usual input normalization.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace weft::train {

// Images and labels of one split, held as the raw bytes from the files.
struct Dataset {
  size_t count = 0;
  int rows = 0, cols = 0;
  std::vector<uint8_t> pixels;  // count * rows * cols, raw 0..255, image-major
  std::vector<uint8_t> labels;  // count, each < 10
  size_t imageSize() const { return size_t(rows) * cols; }
};

// Loads {train,t10k}-images-idx3-ubyte and {train,t10k}-labels-idx1-ubyte from dir, each either with a .gz
// suffix or without (.gz is preferred when both exist). `limit` > 0 keeps only the first `limit` samples.
// Checks that images are 3-D and non-empty, labels 1-D, the counts agree and every label is < 10.
// Blocks on file I/O; reentrant. Throws std::runtime_error naming the offending file.
Dataset loadMnist(const std::string& dir, bool train, size_t limit = 0);

// The classic tutorial normalization, out[i] = (pixels[i] / 255 - 0.1307) / 0.3081 computed in float, for the
// n pixel values at `pixels` (n = images * imageSize()). The MNIST mean and std are used for Fashion-MNIST too,
// as the reference PyTorch example does, so results compare across implementations.
void normalizeImages(const uint8_t* pixels, size_t n, float* out);

}  // namespace weft::train
