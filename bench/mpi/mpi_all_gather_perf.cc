// SPDX-License-Identifier: Apache-2.0
// mpi_all_gather_perf: all_gather_perf's sweep, checks and table for MPI_Allgather.
#include "bench/collectives/all_gather.h"
#include "bench/mpi/mpi_main.h"

namespace {

// In place the rank's block already sits at its place in the receive buffer: MPI_IN_PLACE.
int call(const weft::bench::CallArgs& a, MPI_Datatype type, MPI_Op) {
  const void* send = a.inPlace ? MPI_IN_PLACE : a.send;
  return MPI_Allgather(send, int(a.count), type, a.recv, int(a.count), type, MPI_COMM_WORLD);
}

}  // namespace

int main(int argc, char** argv) {
  return weft::bench::runMpiPerfMain(argc, argv, weft::bench::tests::AllGather(), call);
}
