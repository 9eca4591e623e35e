// SPDX-License-Identifier: Apache-2.0
// Parses weftrun's command line by hand so that error messages name the exact bad argument.
#include "tools/weftrun/options.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string_view>

namespace weft::weftrun {
namespace {

constexpr int kMaxWorldSize = 4096;
constexpr double kMaxGraceSeconds = 3600.0;

// The options that take a value; "-n" also as "-nV".
constexpr std::string_view kValueOptions[] = {"-n", "--nprocs", "--nproc-per-node", "--grace", "--nnodes",
                                              "--node-rank", "--master-addr", "--master-port", "--bind-to"};

std::optional<int> parseInt(std::string_view text, long lo, long hi) {
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const long value = std::strtol(copy.c_str(), &end, 10);
  if (copy.empty() || *end != '\0' || errno != 0 || value < lo || value > hi) return std::nullopt;
  return static_cast<int>(value);
}

std::optional<std::chrono::milliseconds> parseGrace(std::string_view text) {
  std::string copy(text);
  char* end = nullptr;
  errno = 0;
  const double seconds = std::strtod(copy.c_str(), &end);
  if (copy.empty() || *end != '\0' || errno != 0 || !std::isfinite(seconds) || seconds < 0 ||
      seconds > kMaxGraceSeconds) {
    return std::nullopt;
  }
  return std::chrono::milliseconds(std::llround(seconds * 1000.0));
}

ParseOutcome outcome(Action action, Options options = {}, std::string error = {}) {
  return ParseOutcome{.action = action, .options = std::move(options), .error = std::move(error)};
}

ParseOutcome usageError(std::string message) {
  return outcome(Action::UsageError, {}, std::move(message));
}

// Splits "--name=value" into its value; returns nullopt when `arg` is not `name` with "=...".
std::optional<std::string_view> inlineValue(std::string_view arg, std::string_view name) {
  if (arg.size() > name.size() && arg.substr(0, name.size()) == name && arg[name.size()] == '=') {
    return arg.substr(name.size() + 1);
  }
  return std::nullopt;
}

}  // namespace

ParseOutcome parseOptions(std::span<const char* const> args) {
  Options options;
  bool haveWorldSize = false;
  bool haveMasterAddr = false;
  size_t i = 0;
  // Fetches the value of an option given as two arguments ("-n 4").
  auto nextValue = [&]() -> std::optional<std::string_view> {
    if (i + 1 >= args.size()) return std::nullopt;
    return std::string_view(args[++i]);
  };

  for (; i < args.size(); ++i) {
    const std::string_view arg = args[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.empty() || arg[0] != '-' || arg == "-") break;  // the program starts here

    if (arg == "-h" || arg == "--help") return outcome(Action::Help);
    if (arg == "--version") return outcome(Action::Version);
    if (arg == "--tag-output") {
      options.tagOutput = true;
      continue;
    }
    if (arg == "--keep-going") {
      options.keepGoing = true;
      continue;
    }

    // Options with a value, as "--name V", "--name=V" (and "-nV" for -n).
    std::optional<std::string_view> value;
    std::string_view name;
    for (std::string_view known : kValueOptions) {
      if (arg == known) {
        name = known;
        value = nextValue();
      } else if (auto v = inlineValue(arg, known)) {
        name = known;
        value = v;
      }
      if (!name.empty()) break;
    }
    if (name.empty() && arg.size() > 2 && arg.substr(0, 2) == "-n" && arg[2] != '-') {
      name = "-n";
      value = arg.substr(2);
    }
    if (name.empty()) return usageError("unknown option '" + std::string(arg) + "'");
    if (!value) return usageError("option '" + std::string(name) + "' needs a value");

    if (name == "--grace") {
      auto grace = parseGrace(*value);
      if (!grace) {
        return usageError("--grace wants a number of seconds in [0, 3600], got '" +
                          std::string(*value) + "'");
      }
      options.grace = *grace;
    } else if (name == "--bind-to") {
      if (*value == "core") {
        options.bindTo = BindTo::Core;
      } else if (*value == "none") {
        options.bindTo = BindTo::None;
      } else {
        return usageError("--bind-to wants core or none, got '" + std::string(*value) + "'");
      }
    } else if (name == "--master-addr") {
      if (value->empty()) return usageError("--master-addr wants a host name or address");
      options.masterAddr = std::string(*value);
      haveMasterAddr = true;
    } else if (name == "--master-port") {
      auto port = parseInt(*value, 1, 65535);
      if (!port) return usageError("--master-port wants a port in [1, 65535], got '" + std::string(*value) + "'");
      options.masterPort = *port;
    } else if (name == "--node-rank") {
      auto r = parseInt(*value, 0, kMaxWorldSize - 1);
      if (!r) return usageError("--node-rank wants a whole number >= 0, got '" + std::string(*value) + "'");
      options.nodeRank = *r;
    } else if (name == "--nnodes") {
      auto n = parseInt(*value, 1, kMaxWorldSize);
      if (!n) return usageError("--nnodes wants a whole number of hosts in [1, 4096], got '" + std::string(*value) + "'");
      options.nnodes = *n;
    } else {
      auto n = parseInt(*value, 1, kMaxWorldSize);
      if (!n) {
        return usageError(std::string(name) + " wants a whole number of ranks in [1, " +
                          std::to_string(kMaxWorldSize) + "], got '" + std::string(*value) + "'");
      }
      options.worldSize = *n;
      haveWorldSize = true;
    }
  }

  if (!haveWorldSize) return usageError("missing -n N (the number of ranks)");
  if (options.nodeRank >= options.nnodes) {
    return usageError("--node-rank " + std::to_string(options.nodeRank) + " is not below --nnodes " +
                      std::to_string(options.nnodes));
  }
  if (options.worldSize * options.nnodes > kMaxWorldSize) {
    return usageError("more than " + std::to_string(kMaxWorldSize) + " ranks in all");
  }
  if (options.nnodes > 1 && (!haveMasterAddr || options.masterPort == 0)) {
    return usageError("--nnodes > 1 needs --master-addr and --master-port (node 0's address and a free port)");
  }
  if (i >= args.size()) return usageError("missing PROGRAM to run");
  for (; i < args.size(); ++i) options.command.emplace_back(args[i]);
  return outcome(Action::Run, std::move(options));
}

void printUsage(std::FILE* out) {
  std::fputs(
      "usage: weftrun -n N [--nnodes H --node-rank I --master-addr A --master-port P]\n"
      "               [--bind-to core|none] [--tag-output] [--keep-going] [--grace SECONDS]\n"
      "               [--] PROGRAM [ARGS...]\n"
      "\n"
      "Starts N local ranks of PROGRAM with RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE,\n"
      "GROUP_RANK, MASTER_ADDR, MASTER_PORT and WEFT_JOB_ID set, and stops them all when one fails\n"
      "(unless --keep-going).\n"
      "With --nnodes H, run one weftrun per host with the same options but --node-rank 0..H-1:\n"
      "together they form one job of H*N ranks (host I has ranks I*N .. I*N+N-1).\n"
      "\n"
      "options:\n"
      "  -n, --nprocs, --nproc-per-node N\n"
      "                     number of ranks to start on this host (1..4096)\n"
      "  --nnodes H         hosts in the job (default 1)\n"
      "  --node-rank I      this host's place, 0..H-1 (default 0)\n"
      "  --master-addr A    address of the host with node rank 0, reachable from every host\n"
      "                     (default 127.0.0.1; required with --nnodes > 1)\n"
      "  --master-port P    a free TCP port there for the rendezvous (default: any free port;\n"
      "                     required with --nnodes > 1)\n"
      "  --bind-to core|none\n"
      "                     core (default): each rank gets its own share of weftrun's CPUs\n"
      "                     (one CPU each, round robin, when ranks outnumber them); none: the\n"
      "                     kernel places the ranks\n"
      "  --tag-output       prefix each line of a rank's stdout/stderr with \"[RANK] \"\n"
      "  --keep-going       when a rank fails, report it and let the others run on (for elastic\n"
      "                     jobs; srun's --no-kill); SIGINT/SIGTERM still stop every rank\n"
      "  --grace SECONDS    time between SIGTERM and SIGKILL when stopping ranks (default 3)\n"
      "  -h, --help         print this help and exit\n"
      "  --version          print the version and exit\n"
      "\n"
      "exit status: 0 when every rank exits 0; the failing rank's status (128+signal if it was\n"
      "killed); 128+signal when weftrun itself got SIGINT/SIGTERM; 127 when PROGRAM cannot be\n"
      "executed; 2 for bad usage; 1 for an internal error of weftrun. With --keep-going: 0 when\n"
      "some rank exited 0 (the others were lost), else as without it.\n",
      out);
}

}  // namespace weft::weftrun
