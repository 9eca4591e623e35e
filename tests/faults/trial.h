// SPDX-License-Identifier: Apache-2.0
// One fault trial: n fault_rank processes, one fault injected at a random moment, every rank's
// report collected (docs/faults.md).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace weft::faults {

class NetnsHosts;

enum class Fault { Kill, Stop, Cut, Corrupt };
const char* faultName(Fault f);

struct TrialSpec {
  uint64_t seed = 0;           // the seed of the call sequence (and of the corrupted byte)
  Fault fault = Fault::Kill;
  std::string where;           // shm, tcp, ucx (one host) or hosts (netns: shm within, tcp between)
  int nranks = 2;
  int hosts = 1;               // > 1 only for "hosts": rank r runs on host r / (nranks / hosts)
  int target = 0;              // the killed, stopped or corrupting rank; the cut host
  double delaySeconds = 0;     // from every rank being ready to the fault
  double timeoutSeconds = 30;  // WEFT_TIMEOUT
  int maxLog = 14;             // counts below 2^(maxLog+1)
};

// What one rank did, from its report (tests/faults/fault_rank.cc) and its exit.
struct RankReport {
  int rank = 0;
  bool faulty = false;          // killed or stopped: not a survivor
  int exitCode = -1, signal = 0;
  bool hung = false;            // still running at the driver's limit, then SIGKILLed
  int code = -1;                // the failing call's weftResult_t; -1 if none was reported
  double detectSeconds = 0;     // from the fault to that call's return
  double waitedSeconds = 0;     // from that call's start to its return
  std::string call, message, wrong;
  int laterCode = -1;
  std::string laterMessage;
  std::string closedBy;          // "destroy" or "abort": how the rank ended its communicator
  int closeCode = -1;
  double closeSeconds = 0;
  std::string stderrTail;
};

struct TrialResult {
  TrialSpec spec;
  bool ready = false;                  // every rank got through its first call
  std::vector<RankReport> ranks;
  std::vector<std::string> leftovers;  // /dev/shm entries of the trial's processes
  std::string note;                    // what the injection printed (corrupt_frame), or why it failed
};

struct Programs {
  std::string rank;   // fault_rank
  std::string shim;   // libcorrupt_frame.so
};

// Runs one trial; every process it started is gone when it returns. `hosts` is used for
// placement "hosts" only.
TrialResult runTrial(const TrialSpec& spec, const Programs& programs, NetnsHosts* hosts);

}  // namespace weft::faults
