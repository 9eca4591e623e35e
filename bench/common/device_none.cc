// SPDX-License-Identifier: Apache-2.0
// bench/common/device.h in a build without CUDA: no device is usable, and --mem cuda is refused
// before any of the rest is called.
#include <stdexcept>

#include "bench/common/device.h"

namespace weft::bench::cuda {

namespace {
[[noreturn]] void unavailable() { throw std::runtime_error("this build of the perf tools has no CUDA"); }
}  // namespace

bool usable() { return false; }
std::string useDevice(int) { unavailable(); }
void* alloc(size_t) { unavailable(); }
void free(void*) noexcept {}
void* createStream() { unavailable(); }
void destroyStream(void*) noexcept {}
void upload(void*, const void*, size_t, void*) { unavailable(); }
void download(void*, const void*, size_t, void*) { unavailable(); }
void synchronize(void*) { unavailable(); }

}  // namespace weft::bench::cuda
