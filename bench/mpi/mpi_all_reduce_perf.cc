// SPDX-License-Identifier: Apache-2.0
// mpi_all_reduce_perf: all_reduce_perf's sweep, checks and table for MPI_Allreduce.
#include "bench/collectives/all_reduce.h"
#include "bench/mpi/mpi_main.h"

namespace {

int call(const weft::bench::CallArgs& a, MPI_Datatype type, MPI_Op op) {
  const void* send = a.send == a.recv ? MPI_IN_PLACE : a.send;
  return MPI_Allreduce(send, a.recv, int(a.count), type, op, MPI_COMM_WORLD);
}

}  // namespace

int main(int argc, char** argv) {
  return weft::bench::runMpiPerfMain(argc, argv, weft::bench::tests::AllReduce(), call);
}
