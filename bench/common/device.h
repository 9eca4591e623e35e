// SPDX-License-Identifier: Apache-2.0
// --mem cuda: the perf tools' device buffers and stream, through the CUDA runtime as any user of
// weft would call it (bench/common/device_cuda.cc where built with CUDA; elsewhere
// device_none.cc, where nothing is usable).
#pragma once

#include <cstddef>
#include <string>

namespace weft::bench::cuda {

// Whether this process can use a GPU (a device and a driver).
bool usable();
// Makes device `localIndex` modulo the device count current on the calling thread, so several
// ranks share a GPU when there are more ranks than GPUs. Returns "device D of N: name".
std::string useDevice(int localIndex);
void* alloc(size_t bytes);  // cudaMalloc, zeroed
void free(void* p) noexcept;
void* createStream();       // a non-blocking stream
void destroyStream(void* stream) noexcept;
// Stream-ordered copies (cudaMemcpyAsync), then waits for the stream.
void upload(void* device, const void* host, size_t bytes, void* stream);
void download(void* host, const void* device, size_t bytes, void* stream);
void synchronize(void* stream);

}  // namespace weft::bench::cuda
