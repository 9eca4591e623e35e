// SPDX-License-Identifier: Apache-2.0
// The WEFT_* table and its parsers. docs/env.md mirrors the table; tests/runtime/env_doc_test.cc
// fails when the two disagree.
#include "runtime/config.h"


#include <array>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <functional>

#include "common/error.h"

namespace weft::runtime {
namespace {

using Setter = std::function<void(Config&, const std::string& name, const std::string& value)>;

struct Entry {
  VarSpec spec;
  Setter set;
};

double parseNumber(const std::string& name, const std::string& v) {
  errno = 0;
  char* end = nullptr;
  double d = std::strtod(v.c_str(), &end);
  if (v.empty() || *end != '\0' || errno != 0 || !std::isfinite(d) || d < 0) {
    throw InvalidArgument(name + "='" + v + "' is not a non-negative number");
  }
  return d;
}

long parseInt(const std::string& name, const std::string& v, long lo, long hi) {
  errno = 0;
  char* end = nullptr;
  long x = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end != '\0' || errno != 0 || x < lo || x > hi) {
    throw InvalidArgument(name + "='" + v + "' is not an integer in [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]");
  }
  return x;
}

int parseFamily(const std::string& name, const std::string& v) {
  if (v.empty()) return 0;
  if (v == "ipv4" || v == "AF_INET" || v == "4") return 4;
  if (v == "ipv6" || v == "AF_INET6" || v == "6") return 6;
  throw InvalidArgument(name + "='" + v + "': want ipv4 or ipv6 (or AF_INET, AF_INET6)");
}

log::Level parseLevel(const std::string& name, const std::string& v) {
  std::string u;
  for (char c : v) u += char(std::toupper(static_cast<unsigned char>(c)));
  if (u == "NONE" || u == "0") return log::Level::None;
  if (u == "WARN" || u == "WARNING") return log::Level::Warn;
  if (u == "INFO") return log::Level::Info;
  if (u == "TRACE") return log::Level::Trace;
  throw InvalidArgument(name + "='" + v + "' is not one of NONE, WARN, INFO, TRACE");
}

const std::array<Entry, 30>& table() {
  static const std::array<Entry, 30> t = {{
      {{"WEFT_DEBUG", VarType::Level, "WARN", "Log level on stderr: NONE, WARN, INFO or TRACE."},
       [](Config& c, auto& n, auto& v) { c.debug = parseLevel(n, v); }},
      {{"WEFT_DEBUG_FILE", VarType::String, "", "Write the log to this file instead of stderr (%h: host, %p: pid)."},
       [](Config& c, auto&, auto& v) { c.debugFile = v; }},
      {{"WEFT_TIMEOUT", VarType::Seconds, "300", "Deadline of every wait inside a collective; 0 waits forever."},
       [](Config& c, auto& n, auto& v) { c.timeoutSeconds = parseNumber(n, v); }},
      {{"WEFT_CHECK", VarType::Int, "1", "1: every message carries its call's signature (collective, datatype, op, count, root, number) and the receiver compares it with its own, so mismatched calls fail with weftInvalidUsage naming both; 0: messages still carry it, unchecked."},
       [](Config& c, auto& n, auto& v) { c.checkCalls = parseInt(n, v, 0, 1) == 1; }},
      {{"WEFT_FLIGHT_RECORDER", VarType::Int, "16", "Calls each communicator remembers (0 to 4096); a failed call logs them at WARN, oldest first (0: off)."},
       [](Config& c, auto& n, auto& v) { c.flightRecorder = size_t(parseInt(n, v, 0, 4096)); }},
      {{"WEFT_BOOTSTRAP_TIMEOUT", VarType::Seconds, "60", "Deadline for all ranks to arrive and connect at init."},
       [](Config& c, auto& n, auto& v) { c.bootstrapTimeoutSeconds = parseNumber(n, v); }},
      {{"WEFT_INIT", VarType::String, "", "Rendezvous for weftCommInitFromEnv: tcp://host:port, file:///path or env://."},
       [](Config& c, auto&, auto& v) { c.init = v; }},
      {{"WEFT_JOB_ID", VarType::String, "", "Job key (set by weftrun); ranks of other jobs are refused at the store."},
       [](Config& c, auto&, auto& v) { c.jobId = v; }},
      {{"WEFT_SECRET", VarType::String, "", "The job secret, 64 hex digits, that every connection proves it knows (weftrun sets a random one; the same on every rank); empty: the unique id's, or one derived from the job id."},
       [](Config& c, auto& n, auto& v) {
         if (v.empty()) return;
         const auto secret = auth::parseHex(v);
         if (!secret) throw InvalidArgument(n + " must be 64 hex digits (256 bits), e.g. from `openssl rand -hex 32`");
         c.secret = *secret;
         c.secretSet = true;
       }},
      {{"WEFT_HOSTID", VarType::String, "", "Overrides the host identity (hostname and boot id) used to group ranks by host."},
       [](Config& c, auto&, auto& v) { c.hostId = v; }},
      {{"WEFT_ALGO", VarType::String, "", "Forces algorithms, per collective and size: allreduce:ring, broadcast:0-64K=tree,64K-inf=chain (see below)."},
       [](Config& c, auto&, auto& v) { c.algo = v; }},
      {{"WEFT_TUNE_FILE", VarType::String, "", "Tuning table written by weft-tune; replaces the built-in constants for what it covers (docs/tuning.md)."},
       [](Config& c, auto&, auto& v) { c.tuneFile = v; }},
      {{"WEFT_TRANSPORT", VarType::String, "", "Transports in order of preference, from shm (one host), ucx and tcp; empty: shm, then ucx where both hosts have an RDMA device, then tcp."},
       [](Config& c, auto&, auto& v) { c.transport = v; }},
      {{"WEFT_SOCKET_IFNAME", VarType::String, "", "Interfaces for tcp: name prefixes, ^ to exclude, = for exact names (default: the first non-loopback)."},
       [](Config& c, auto&, auto& v) { c.socketIfname = v; }},
      {{"WEFT_SOCKET_FAMILY", VarType::String, "", "Address family for tcp: ipv4 (AF_INET) or ipv6 (AF_INET6); empty: IPv4 where the interface has it."},
       [](Config& c, auto& n, auto& v) { c.socketFamily = parseFamily(n, v); }},
      {{"WEFT_PORT_RANGE", VarType::String, "", "Ports for weft's listening sockets (TCP transport, weftGetUniqueId's server), LO-HI; empty: any free port."},
       [](Config& c, auto& n, auto& v) { c.portRange = parsePortRange(n, v); }},
      {{"WEFT_SOCKET_NSOCKS", VarType::Int, "1", "TCP connections per pair of ranks (1 to 16); messages alternate between them."},
       [](Config& c, auto& n, auto& v) { c.socketNsocks = int(parseInt(n, v, 1, 16)); }},
      {{"WEFT_SOCKET_KEEPALIVE", VarType::Seconds, "30", "A peer host that answers nothing (down, or cut off) ends its TCP links after about this long, and the calls waiting on them with weftRemoteError naming the rank: the kernel's keepalive probes while a link is idle, TCP_USER_TIMEOUT while sent data waits for acknowledgement; 0 turns both off (WEFT_TIMEOUT alone then)."},
       [](Config& c, auto& n, auto& v) { c.socketKeepaliveSeconds = parseNumber(n, v); }},
      {{"WEFT_SOCKET_NTHREADS", VarType::Int, "1", "Progress threads per TCP transport (1 to 16); socket i of each pair is served by thread i mod n, so at most WEFT_SOCKET_NSOCKS are used."},
       [](Config& c, auto& n, auto& v) { c.socketNthreads = int(parseInt(n, v, 1, 16)); }},
      {{"WEFT_SOCKET_SLOT_BYTES", VarType::Bytes, "512K", "Largest message (pipelining chunk) on a TCP link; WEFT_SHM_SLOTS of them per direction."},
       [](Config& c, auto& n, auto& v) { c.socketSlotBytes = parseBytes(n, v); }},
      {{"WEFT_UCX_SLOT_BYTES", VarType::Bytes, "512K", "Largest message (pipelining chunk) on a UCX link; WEFT_SHM_SLOTS of them per direction."},
       [](Config& c, auto& n, auto& v) { c.ucxSlotBytes = parseBytes(n, v); }},
      {{"WEFT_SHM_SLOTS", VarType::Int, "8", "Chunks of WEFT_SHM_SLOT_BYTES in each shared-memory FIFO's data ring (2 to 64); smaller messages pack tighter, up to 64 in flight."},
       [](Config& c, auto& n, auto& v) { c.shmSlots = uint32_t(parseInt(n, v, 2, 64)); }},
      {{"WEFT_SHM_SLOT_BYTES", VarType::Bytes, "64K", "Bytes in each shared-memory slot: the pipelining chunk (multiple of 64)."},
       [](Config& c, auto& n, auto& v) { c.shmSlotBytes = parseBytes(n, v); }},
      {{"WEFT_SHM_PEER_READS", VarType::Int, "1", "1: ranks of one host may copy straight from each other's buffers (process_vm_readv; where Yama's ptrace_scope is 1 each rank lets its user's processes attach to it); 0: only through the FIFOs."},
       [](Config& c, auto& n, auto& v) { c.shmPeerReads = parseInt(n, v, 0, 1) == 1; }},
      {{"WEFT_CUDA_LINK", VarType::String, "auto", "Calls on device buffers between ranks of one host: ring (all-reduce and broadcast run as weft's own kernels over the peers' device memory, through CUDA IPC between processes), staged (every call through pinned host memory and the host transports), or auto (the ring, except where two ranks were on one GPU at init: without MPS a GPU runs one process's kernels at a time, and ranks sharing a context or an MPS server would need all their blocks resident at once, so there every call is staged). The same on every rank."},
       [](Config& c, auto& n, auto& v) {
         if (v != "auto" && v != "ring" && v != "staged") throw InvalidArgument(n + "='" + v + "' is not one of auto, ring, staged");
         c.cudaLink = v;
       }},
      {{"WEFT_CUDA_ALGO", VarType::String, "auto", "The device ring's shape: ring, tree (a binary tree: up and back down for all-reduce, down from the root for broadcast), or auto (the tree for calls up to 256 KiB with more than 2 ranks, else the ring)."},
       [](Config& c, auto& n, auto& v) {
         if (v != "auto" && v != "ring" && v != "tree") throw InvalidArgument(n + "='" + v + "' is not one of auto, ring, tree");
         c.cudaAlgo = v;
       }},
      {{"WEFT_CUDA_CHANNELS", VarType::Int, "16", "Blocks of the device ring's kernels (1 to 32), each with its own part of the buffer and its own FIFOs."},
       [](Config& c, auto& n, auto& v) { c.cudaChannels = uint32_t(parseInt(n, v, 1, 32)); }},
      {{"WEFT_CUDA_SLOT_BYTES", VarType::Bytes, "64K", "Bytes in each slot of the device ring's FIFOs (8 per channel and port, 4 ports per rank): its pipelining chunk (a multiple of 16, 16 to 16M)."},
       [](Config& c, auto& n, auto& v) {
         const size_t b = parseBytes(n, v);
         if (b < 16 || b > (size_t(16) << 20) || b % 16 != 0) throw InvalidArgument(n + "='" + v + "' is not a multiple of 16 from 16 to 16M");
         c.cudaSlotBytes = b;
       }},
      {{"WEFT_SPIN_US", VarType::Micros, "auto", "A waiting rank busy-polls this long before it yields its core (auto: 20, or 0 when a host has more ranks than cores)."},
       [](Config& c, auto& n, auto& v) { c.wait.spinUs = v == "auto" ? kAutoSpin : parseNumber(n, v); }},
      {{"WEFT_YIELD_COUNT", VarType::Int, "10", "Then it yields this many times before sleeping on a futex."},
       [](Config& c, auto& n, auto& v) { c.wait.yieldCount = int(parseInt(n, v, 0, 1000000)); }},
  }};
  return t;
}

}  // namespace

std::span<const VarSpec> variables() {
  static const auto specs = [] {
    std::array<VarSpec, std::tuple_size_v<std::decay_t<decltype(table())>>> s{};
    for (size_t i = 0; i < s.size(); ++i) s[i] = table()[i].spec;
    return s;
  }();
  return specs;
}

const char* typeName(VarType t) {
  switch (t) {
    case VarType::String: return "string";
    case VarType::Level: return "level";
    case VarType::Seconds: return "seconds";
    case VarType::Int: return "integer";
    case VarType::Bytes: return "bytes";
    case VarType::Micros: return "microseconds";
  }
  return "?";
}

size_t parseBytes(const std::string& name, const std::string& v) {
  size_t mult = 1;
  std::string digits = v;
  if (!digits.empty()) {
    switch (std::toupper(static_cast<unsigned char>(digits.back()))) {
      case 'K': mult = size_t(1) << 10; break;
      case 'M': mult = size_t(1) << 20; break;
      case 'G': mult = size_t(1) << 30; break;
      default: break;
    }
    if (mult != 1) digits.pop_back();
  }
  const long x = parseInt(name, digits, 0, 1L << 40);
  return size_t(x) * mult;
}

Config loadConfig() {
  Config c;
  for (const Entry& e : table()) {
    const char* v = std::getenv(e.spec.name);
    e.set(c, e.spec.name, v ? std::string(v) : std::string(e.spec.defaultValue));
  }
  c.ucxTlsSet = std::getenv("UCX_TLS") != nullptr;  // UCX's own variable, not a WEFT_* setting
  return c;
}

double autoSpinUs(int ranksOnThisHost, int cpus) { return ranksOnThisHost <= cpus ? 20 : 0; }

void applyLogging(const Config& c) {
  log::setLevel(c.debug);
  log::setFile(c.debugFile);
}

}  // namespace weft::runtime
