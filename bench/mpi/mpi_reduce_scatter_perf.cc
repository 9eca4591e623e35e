// SPDX-License-Identifier: Apache-2.0
// mpi_reduce_scatter_perf: reduce_scatter_perf's sweep, checks and table for
// MPI_Reduce_scatter_block.
#include <cstring>

#include "bench/collectives/reduce_scatter.h"
#include "bench/common/dtype.h"
#include "bench/mpi/mpi_main.h"

namespace {

// In place, weft (as NCCL) leaves rank r's block at recv = send + r * count; MPI_IN_PLACE leaves it
// at the start of the buffer, so rank r moves it there after the call: a copy of one block.
int call(const weft::bench::CallArgs& a, MPI_Datatype type, MPI_Op op) {
  if (!a.inPlace) {
    return MPI_Reduce_scatter_block(a.send, a.recv, int(a.count), type, op, MPI_COMM_WORLD);
  }
  void* whole = const_cast<void*>(a.send);
  const int rc = MPI_Reduce_scatter_block(MPI_IN_PLACE, whole, int(a.count), type, op, MPI_COMM_WORLD);
  if (rc == MPI_SUCCESS && a.recv != whole) {
    std::memmove(a.recv, whole, a.count * weft::bench::elementSize(a.type));
  }
  return rc;
}

}  // namespace

int main(int argc, char** argv) {
  return weft::bench::runMpiPerfMain(argc, argv, weft::bench::tests::ReduceScatter(), call);
}
