// SPDX-License-Identifier: Apache-2.0
#include "collectives/footprint.h"

#include "collectives/kernels/dtype.h"

namespace weft::coll {

Footprint footprint(const CollArgs& args, int rank, int size) {
  const size_t block = args.count * dtypeSize(args.dtype);
  const size_t all = block * size_t(size);
  const bool root = rank == args.root;
  Footprint f;
  auto read = [&](size_t bytes) { f.in = args.send, f.inBytes = bytes; };
  auto write = [&](size_t bytes) { f.out = args.recv, f.outBytes = bytes; };
  switch (args.kind) {
    case CollKind::AllReduce: read(block), write(block); break;
    case CollKind::Broadcast:
      if (root) read(block);
      write(block);
      break;
    case CollKind::Reduce:
      read(block);
      if (root) write(block);
      break;
    case CollKind::AllGather: read(block), write(all); break;
    case CollKind::ReduceScatter: read(all), write(block); break;
    case CollKind::AllToAll: read(all), write(all); break;
    case CollKind::Scatter:
      if (root) read(all);
      write(block);
      break;
    case CollKind::Gather:
      read(block);
      if (root) write(all);
      break;
    case CollKind::Send: read(block); break;
    case CollKind::Recv: write(block); break;
    case CollKind::Barrier: break;
  }
  if (f.inBytes == 0) f.in = nullptr;
  if (f.outBytes == 0) f.out = nullptr;
  return f;
}

}  // namespace weft::coll
