// SPDX-License-Identifier: Apache-2.0
// A POSIX shared-memory segment, mapped, owned by this object (move-only).
#pragma once

#include <cstddef>
#include <string>

namespace weft::transport::shm {

// Names start with "/weft-<creator pid>-" so that a launcher can remove what a crashed rank
// left in /dev/shm (docs/weftrun.md).
class Segment {
 public:
  Segment() = default;
  // Creates (O_EXCL) and maps a zero-filled segment of `bytes`. Throws SystemError.
  static Segment create(const std::string& name, size_t bytes);
  // Maps an existing segment and checks its size. Throws SystemError.
  static Segment open(const std::string& name, size_t bytes);

  Segment(Segment&& other) noexcept { *this = std::move(other); }
  Segment& operator=(Segment&& other) noexcept;
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;
  // Unmaps; a creator that never called unlink() also unlinks (so an error path leaves nothing).
  ~Segment();

  // Removes the name; the mapping stays valid. Idempotent.
  void unlink();

  std::byte* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& name() const { return name_; }

 private:
  void reset() noexcept;
  std::string name_;
  std::byte* data_ = nullptr;
  size_t size_ = 0;
  bool owner_ = false;
  bool linked_ = false;
};

}  // namespace weft::transport::shm
