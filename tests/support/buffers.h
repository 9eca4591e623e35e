// SPDX-License-Identifier: Apache-2.0
// Test buffers from the heap or, when asked, from weftMemAlloc, so that the same checks run the
// one-copy "shared" algorithms and their fallback (Note [Shared algorithms]).
#pragma once

#include <cstddef>

namespace weft::test {

// Where TestBuffers of this process come from from now on. Reads WEFT_TEST_SHARED_BUFFERS:
// "all" (every rank: weftMemAlloc), "rank0" (rank 0 only, so that no call has shared buffers on
// every rank and the shared algorithms fall back), anything else or unset: the heap.
void chooseBuffersFor(int rank);

// Owns `bytes` bytes (at least one allocated) filled with `fill`. Move-only.
class TestBuffer {
 public:
  TestBuffer(size_t bytes, unsigned char fill);
  TestBuffer(TestBuffer&& o) noexcept : data_(o.data_), shared_(o.shared_) { o.data_ = nullptr; }
  TestBuffer& operator=(TestBuffer&&) = delete;
  ~TestBuffer();
  unsigned char* data() { return data_; }
  const unsigned char* data() const { return data_; }
  unsigned char& operator[](size_t i) { return data_[i]; }
  unsigned char operator[](size_t i) const { return data_[i]; }

 private:
  unsigned char* data_;
  bool shared_;
};

}  // namespace weft::test
