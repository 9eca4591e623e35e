// SPDX-License-Identifier: Apache-2.0
// Rank checks for the data-movement calls: every block carries the pattern of its source and
// destination rank, compared bitwise, with guard bytes around every buffer.
#include <string>

#include "tests/collectives/rank_checks.h"
#include "tests/support/values.h"

namespace weft::test {
namespace {

constexpr unsigned char kRecvFill = 0xC3;
constexpr int kEveryone = -1;  // the destination of an all-gather block

std::string at(const std::string& what, int rank) { return "rank " + std::to_string(rank) + ": " + what; }

std::string guards(const GuardedBuffer& a, const GuardedBuffer& b) {
  return a.guardsIntact() && b.guardsIntact() ? "" : "wrote outside its buffers";
}

// "" when the n blocks at p hold the pattern of (src(j), dst(j)) for j in [0, n).
template <class Src, class Dst>
std::string compareBlocks(const unsigned char* p, size_t block, int n, Src&& src, Dst&& dst, const char* name) {
  for (int j = 0; j < n; ++j) {
    std::string err = comparePattern(p + size_t(j) * block, block, src(j), dst(j));
    if (!err.empty()) return std::string(name) + ": " + err;
  }
  return {};
}

// "" when a send block still holds the pattern it was given.
std::string unchanged(const unsigned char* p, size_t block, int src, int dst) {
  std::string err = comparePattern(p, block, src, dst);
  return err.empty() ? err : "sendbuff changed: " + err;
}

}  // namespace

std::string checkAllGather(Comm& comm, const Case& c) {
  const int rank = comm.rank(), n = comm.size();
  const size_t block = c.count * elementSize(c.type);
  GuardedBuffer send(block, 0), recv(block * size_t(n), kRecvFill);
  fillPattern(send.data(), block, rank, kEveryone);
  const unsigned char* in = send.data();
  if (c.inPlace) {  // sendbuff == recvbuff + rank * sendcount
    in = recv.data() + size_t(rank) * block;
    fillPattern(recv.data() + size_t(rank) * block, block, rank, kEveryone);
  }
  comm.allGather(in, recv.data(), c.count, c.type);
  std::string err = compareBlocks(recv.data(), block, n, [](int j) { return j; }, [](int) { return kEveryone; },
                                  "recvbuff");
  if (err.empty()) err = unchanged(send.data(), block, rank, kEveryone);
  if (err.empty()) err = guards(send, recv);
  return err.empty() ? err : at(describe("allgather", c) + ": " + err, rank);
}

std::string checkAllToAll(Comm& comm, const Case& c) {
  const int rank = comm.rank(), n = comm.size();
  const size_t block = c.count * elementSize(c.type);
  GuardedBuffer send(block * size_t(n), 0), recv(block * size_t(n), kRecvFill);
  for (int j = 0; j < n; ++j) fillPattern(send.data() + size_t(j) * block, block, rank, j);
  comm.allToAll(send.data(), recv.data(), c.count, c.type);
  std::string err =
      compareBlocks(recv.data(), block, n, [](int i) { return i; }, [&](int) { return rank; }, "recvbuff");
  for (int j = 0; j < n && err.empty(); ++j) err = unchanged(send.data() + size_t(j) * block, block, rank, j);
  if (err.empty()) err = guards(send, recv);
  return err.empty() ? err : at(describe("alltoall", c) + ": " + err, rank);
}

std::string checkScatter(Comm& comm, const Case& c) {
  const int rank = comm.rank(), n = comm.size();
  const bool isRoot = rank == c.root;
  const size_t block = c.count * elementSize(c.type);
  GuardedBuffer send(isRoot ? block * size_t(n) : 0, 0), recv(block, kRecvFill);
  if (isRoot) {
    for (int j = 0; j < n; ++j) fillPattern(send.data() + size_t(j) * block, block, c.root, j);
  }
  // In place (root only): recvbuff == sendbuff + root * count. Elsewhere sendbuff is not read:
  // NULL, or (in the in-place runs) the rank's own recvbuff.
  unsigned char* out = isRoot && c.inPlace ? send.data() + size_t(c.root) * block : recv.data();
  const unsigned char* in = isRoot ? send.data() : (c.inPlace ? out : nullptr);
  comm.scatter(in, out, c.count, c.type, c.root);
  std::string err = comparePattern(out, block, c.root, rank);
  for (int j = 0; isRoot && j < n && err.empty(); ++j) {
    err = unchanged(send.data() + size_t(j) * block, block, c.root, j);
  }
  if (err.empty()) err = guards(send, recv);
  return err.empty() ? err : at(describe("scatter", c) + ": " + err, rank);
}

std::string checkGather(Comm& comm, const Case& c) {
  const int rank = comm.rank(), n = comm.size();
  const bool isRoot = rank == c.root;
  const size_t block = c.count * elementSize(c.type);
  GuardedBuffer send(block, 0), recv(isRoot ? block * size_t(n) : 0, kRecvFill);
  fillPattern(send.data(), block, rank, c.root);
  const unsigned char* in = send.data();
  // In place (root only): sendbuff == recvbuff + root * count. Elsewhere recvbuff is not used:
  // NULL, or (in the in-place runs) the rank's own sendbuff.
  unsigned char* out = isRoot ? recv.data() : (c.inPlace ? send.data() : nullptr);
  if (isRoot && c.inPlace) {
    in = recv.data() + size_t(c.root) * block;
    fillPattern(recv.data() + size_t(c.root) * block, block, c.root, c.root);
  }
  comm.gather(in, out, c.count, c.type, c.root);
  std::string err;
  if (isRoot) {
    err = compareBlocks(recv.data(), block, n, [](int j) { return j; }, [&](int) { return c.root; }, "recvbuff");
  }
  if (err.empty()) err = unchanged(send.data(), block, rank, c.root);
  if (err.empty()) err = guards(send, recv);
  return err.empty() ? err : at(describe("gather", c) + ": " + err, rank);
}

std::string checkSendRecvRing(Comm& comm, const Case& c) {
  const int rank = comm.rank(), n = comm.size();
  if (n < 2) return "a send/recv ring needs at least 2 ranks";
  const int next = (rank + 1) % n, prev = (rank + n - 1) % n;
  const size_t bytes = c.count * elementSize(c.type);
  GuardedBuffer send(bytes, 0), recv(bytes, kRecvFill);
  fillPattern(send.data(), bytes, rank, next);
  // Rank 0 sends first and everyone else receives first: a chain that ends back at rank 0.
  if (rank == 0) comm.send(send.data(), c.count, c.type, next);
  comm.recv(recv.data(), c.count, c.type, prev);
  if (rank != 0) comm.send(send.data(), c.count, c.type, next);
  std::string err = comparePattern(recv.data(), bytes, prev, rank);
  if (err.empty()) err = unchanged(send.data(), bytes, rank, next);
  if (err.empty()) err = guards(send, recv);
  return err.empty() ? err : at(describe("send/recv ring", c) + ": " + err, rank);
}

}  // namespace weft::test
