// SPDX-License-Identifier: Apache-2.0
// The POSIX shared-memory transport, between processes (or threads) of one host.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "transport/shm/fifo.h"
#include "transport/process_watch.h"
#include "transport/shm/segment.h"
#include "transport/transport.h"

namespace weft::transport::shm {

struct ShmOptions {
  int rank = 0;
  int nranks = 1;
  std::string jobTag;        // distinguishes jobs and communicators in segment names
  uint32_t slots = 8;        // per FIFO, 2..kMaxSlots (2 suffice to avoid deadlock in a ring)
  size_t slotBytes = 64 << 10;  // multiple of 64
  bool peerReads = true;     // read peers' memory where the probe works (Note [Peer reads])
};

// Thread-compatible during set-up, then loop-bound (see Transport).
class ShmTransport final : public Transport {
 public:
  explicit ShmTransport(const ShmOptions& options);

  std::string_view name() const override { return "shm"; }
  std::vector<std::byte> listen() override;
  std::unique_ptr<Endpoint> connect(int peer, std::span<const std::byte> addr) override;
  void finishSetup() override;
  uint32_t waitToken() override;
  void waitChange(uint32_t token, double maxUs) override;
  void armWait(bool on) override;
  bool peerAlive(int peer) override;

 private:
  struct Peer {
    int rank;
    Segment segment;
    ProcessWatch watch;  // Note [Peer liveness]; none for a thread rank of this process
  };
  ShmOptions options_;
  Layout layout_;
  Segment own_;              // our doorbell and inbound FIFOs
  std::vector<Peer> peers_;  // mapped segments of connected peers
  const pid_t pid_;
  bool justArmed_ = false;  // armed since the last waitChange: its sleep is short (Note [Doorbells])
};

}  // namespace weft::transport::shm
