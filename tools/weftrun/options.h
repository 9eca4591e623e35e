// SPDX-License-Identifier: Apache-2.0
// weftrun's command line: the options it takes and the parser that reads them.
#pragma once

#include <chrono>
#include <cstdio>
#include <span>
#include <string>
#include <vector>

#include "tools/weftrun/binding.h"

namespace weft::weftrun {

struct Options {
  int worldSize = 0;                                  // -n: number of local ranks
  // torchrun-style jobs over several hosts: one weftrun per host, all given the same values
  // except --node-rank.
  int nnodes = 1;                                     // --nnodes
  int nodeRank = 0;                                   // --node-rank
  std::string masterAddr = "127.0.0.1";               // --master-addr: node 0's address
  int masterPort = 0;                                 // --master-port; 0: a free port (1 node)
  bool tagOutput = false;                             // --tag-output: prefix lines with [RANK]
  bool keepGoing = false;                             // --keep-going: a failed rank stops no other
  std::chrono::milliseconds grace{3000};              // --grace: SIGTERM -> SIGKILL delay
  BindTo bindTo = BindTo::Core;                       // --bind-to core|none
  std::vector<std::string> command;                   // PROGRAM ARGS...
};

enum class Action { Run, Help, Version, UsageError };

struct ParseOutcome {
  Action action = Action::UsageError;
  Options options;     // meaningful when action == Run
  std::string error;   // meaningful when action == UsageError
};

// Reads argv (argv[0] excluded). Options stop at the first argument that is not an option or at
// "--"; everything from there on is the program and its arguments, passed through untouched.
// Never throws for bad input: it reports UsageError with a message instead.
ParseOutcome parseOptions(std::span<const char* const> args);

// Writes the usage text to `out` (stdout for --help, stderr for usage errors).
void printUsage(std::FILE* out);

}  // namespace weft::weftrun
