// SPDX-License-Identifier: Apache-2.0
// Rank checks for reduce and reduce-scatter: exact per-rank inputs, exact expected results.
#include <string>

#include "tests/collectives/rank_checks.h"
#include "tests/support/values.h"

namespace weft::test {
namespace {

constexpr unsigned char kRecvFill = 0xC3;

std::string at(const std::string& what, int rank) { return "rank " + std::to_string(rank) + ": " + what; }

// "" when element i of buf, for i in [0, count), equals want(i).
template <class Want>
std::string compareValues(weftDataType_t t, const unsigned char* buf, size_t count, Want&& want, const char* name) {
  for (size_t i = 0; i < count; ++i) {
    const double got = load(t, buf, i), w = want(i);
    if (got != w) {
      return std::string(name) + " element " + std::to_string(i) + " is " + std::to_string(got) + ", want " +
             std::to_string(w);
    }
  }
  return {};
}

}  // namespace

std::string checkReduce(Comm& comm, const Case& c) {
  const int rank = comm.rank(), n = comm.size();
  const size_t bytes = c.count * elementSize(c.type);
  const bool isRoot = rank == c.root;
  GuardedBuffer send(bytes, 0), recv(bytes, kRecvFill);
  for (size_t i = 0; i < c.count; ++i) store(c.type, send.data(), i, input(c.op, c.type, rank, i));
  // recvbuff matters on the root only: the others pass NULL, or their sendbuff "in place".
  unsigned char* out = c.inPlace ? send.data() : (isRoot ? recv.data() : nullptr);
  comm.reduce(send.data(), out, c.count, c.type, c.op, c.root);

  const std::string what = describe("reduce", c);
  std::string err;
  if (isRoot) {
    err = compareValues(c.type, out, c.count, [&](size_t i) { return expected(c.op, c.type, n, i); }, "recvbuff");
  }
  if (err.empty() && !(isRoot && c.inPlace)) {
    err = compareValues(c.type, send.data(), c.count,
                        [&](size_t i) { return wrap(c.type, input(c.op, c.type, rank, i)); }, "sendbuff (changed)");
  }
  if (err.empty() && !(send.guardsIntact() && recv.guardsIntact())) err = "wrote outside its buffers";
  return err.empty() ? err : at(what + ": " + err, rank);
}

std::string checkReduceScatter(Comm& comm, const Case& c) {
  const int rank = comm.rank(), n = comm.size();
  const size_t bytes = c.count * elementSize(c.type), mine = size_t(rank) * c.count;
  GuardedBuffer send(bytes * size_t(n), 0), recv(bytes, kRecvFill);
  for (size_t g = 0; g < c.count * size_t(n); ++g) store(c.type, send.data(), g, input(c.op, c.type, rank, g));
  unsigned char* out = c.inPlace ? send.data() + size_t(rank) * bytes : recv.data();
  comm.reduceScatter(send.data(), out, c.count, c.type, c.op);

  const std::string what = describe("reducescatter", c);
  std::string err =
      compareValues(c.type, out, c.count, [&](size_t i) { return expected(c.op, c.type, n, mine + i); }, "recvbuff");
  // sendbuff is const: apart from this rank's block when in place, it keeps its input.
  for (int b = 0; b < n && err.empty(); ++b) {
    if (c.inPlace && b == rank) continue;
    const size_t first = size_t(b) * c.count;
    err = compareValues(c.type, send.data() + size_t(b) * bytes, c.count,
                        [&](size_t i) { return wrap(c.type, input(c.op, c.type, rank, first + i)); },
                        ("sendbuff block " + std::to_string(b) + " (changed)").c_str());
  }
  if (err.empty() && !(send.guardsIntact() && recv.guardsIntact())) err = "wrote outside its buffers";
  return err.empty() ? err : at(what + ": " + err, rank);
}

}  // namespace weft::test
