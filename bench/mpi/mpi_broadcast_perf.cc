// SPDX-License-Identifier: Apache-2.0
// mpi_broadcast_perf: broadcast_perf's sweep, checks and table for MPI_Bcast.
#include <cstring>

#include "bench/collectives/broadcast.h"
#include "bench/common/dtype.h"
#include "bench/mpi/mpi_main.h"

namespace {

// MPI_Bcast has one buffer. Out of place, as weftBroadcast (and ncclBroadcast) the root's receive
// buffer gets the data too: the root copies it there first, a cost MPI's users pay the same way.
int call(const weft::bench::CallArgs& a, MPI_Datatype type, MPI_Op) {
  if (a.rank == a.root && a.send != a.recv) std::memcpy(a.recv, a.send, a.count * weft::bench::elementSize(a.type));
  return MPI_Bcast(a.recv, int(a.count), type, a.root, MPI_COMM_WORLD);
}

}  // namespace

int main(int argc, char** argv) {
  return weft::bench::runMpiPerfMain(argc, argv, weft::bench::tests::Broadcast(), call);
}
