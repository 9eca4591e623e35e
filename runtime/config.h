// SPDX-License-Identifier: Apache-2.0
// WEFT_* environment variables: one table (name, type, default, doc), read only here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "common/auth.h"
#include "common/log.h"
#include "common/port_range.h"
#include "common/wait.h"

namespace weft::runtime {

// Values in force for one communicator.
struct Config {
  log::Level debug = log::Level::Warn;
  std::string debugFile;
  double timeoutSeconds = 300;
  double bootstrapTimeoutSeconds = 60;
  std::string init;       // WEFT_INIT
  std::string jobId;      // WEFT_JOB_ID
  std::string hostId;     // WEFT_HOSTID
  std::string algo;       // WEFT_ALGO
  std::string tuneFile;   // WEFT_TUNE_FILE
  std::string transport;     // WEFT_TRANSPORT
  std::string socketIfname;  // WEFT_SOCKET_IFNAME
  PortRange portRange;       // WEFT_PORT_RANGE
  int socketNsocks = 1;      // WEFT_SOCKET_NSOCKS
  int socketNthreads = 1;    // WEFT_SOCKET_NTHREADS
  int socketFamily = 0;      // WEFT_SOCKET_FAMILY: 0 either, 4 or 6
  double socketKeepaliveSeconds = 30;  // WEFT_SOCKET_KEEPALIVE
  bool ucxTlsSet = false;    // UCX_TLS is set: the user chose UCX's transports (Note [UCX failures])
  size_t socketSlotBytes = 512 << 10;  // WEFT_SOCKET_SLOT_BYTES
  size_t ucxSlotBytes = 512 << 10;     // WEFT_UCX_SLOT_BYTES
  uint32_t shmSlots = 8;
  size_t shmSlotBytes = 64 << 10;
  bool shmPeerReads = true;  // Note [Peer reads]
  size_t flightRecorder = 16;  // WEFT_FLIGHT_RECORDER: calls kept for the dump on error
  bool checkCalls = true;      // WEFT_CHECK: compare signatures (Note [Signatures])
  std::string cudaLink = "auto";  // WEFT_CUDA_LINK: auto, ring (Note [Device link]) or staged
  std::string cudaAlgo = "auto";  // WEFT_CUDA_ALGO: auto, ring or tree
  uint32_t cudaChannels = 16;  // WEFT_CUDA_CHANNELS
  size_t cudaSlotBytes = 64 << 10;  // WEFT_CUDA_SLOT_BYTES
  // The job secret (Note [Job secret]): WEFT_SECRET's when set (secretSet), else chosen by the
  // init call (the unique id's, a random one for thread ranks, one derived from the job id).
  auth::Secret secret{};
  bool secretSet = false;
  WaitPolicy wait;  // spinUs == kAutoSpin until the communicator knows its ranks per core
};

// WEFT_SPIN_US=auto: decided at init (see autoSpinUs).
inline constexpr double kAutoSpin = -1;

// Spinning helps only when every rank of this host has a core of its own; otherwise the rank
// being waited for may need the very core the waiter spins on (Note [Spinning and cores]).
// `cpus`: how many CPUs the host's ranks may run on together (cpusOfHost).
double autoSpinUs(int ranksOnThisHost, int cpus);

enum class VarType { String, Level, Seconds, Int, Bytes, Micros };

struct VarSpec {
  const char* name;
  VarType type;
  const char* defaultValue;  // as written in docs/env.md
  const char* doc;           // one line
};

// The table, in documentation order.
std::span<const VarSpec> variables();
const char* typeName(VarType t);  // "string", "level", "seconds", "integer", "bytes", "microseconds"

// Reads every variable of the table from the environment (unset: the default). Throws
// InvalidArgument naming the variable and the bad value.
Config loadConfig();

// Applies the logging part of a config to the process-wide logger.
void applyLogging(const Config& config);

// "256K" -> 262144 (K, M, G are powers of 1024). Throws InvalidArgument.
size_t parseBytes(const std::string& name, const std::string& value);

}  // namespace weft::runtime
