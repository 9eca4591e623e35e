// SPDX-License-Identifier: Apache-2.0
#include "tests/support/buffers.h"

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string>

#include "runtime/weft.h"

namespace weft::test {
namespace {

std::atomic<bool> gShared{false};

}  // namespace

void chooseBuffersFor(int rank) {
  const char* v = std::getenv("WEFT_TEST_SHARED_BUFFERS");
  const std::string mode = v ? v : "";
  gShared = mode == "all" || (mode == "rank0" && rank == 0);
}

TestBuffer::TestBuffer(size_t bytes, unsigned char fill) : shared_(gShared) {
  void* p = nullptr;
  if (shared_) {
    if (weftMemAlloc(&p, bytes + 1) != weftSuccess) throw std::bad_alloc();
  } else {
    p = std::malloc(bytes + 1);
  }
  if (!p) throw std::bad_alloc();
  data_ = static_cast<unsigned char*>(p);
  std::memset(data_, fill, bytes + 1);
}

TestBuffer::~TestBuffer() {
  if (shared_) {
    weftMemFree(data_);
  } else {
    std::free(data_);
  }
}

}  // namespace weft::test
