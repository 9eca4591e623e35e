// SPDX-License-Identifier: Apache-2.0
// Parsing of launcher variables (torchrun/weftrun, Open MPI, MPICH PMI, Slurm) and WEFT_INIT.
#include "runtime/launch_env.h"

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <string>

#include "common/error.h"

namespace weft::runtime {
namespace {

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

int toInt(const char* name, const char* v, int lo, int hi) {
  errno = 0;
  char* end = nullptr;
  long x = std::strtol(v, &end, 10);
  if (*end != '\0' || errno != 0 || x < lo || x > hi) {
    throw InvalidArgument(std::string(name) + "='" + v + "' is not an integer in [" +
                          std::to_string(lo) + ", " + std::to_string(hi) + "]");
  }
  return int(x);
}

struct Source {
  const char* label;
  const char* rank;
  const char* size;
  const char* localRank;
  const char* localSize;
};
constexpr Source kSources[] = {
    {"torchrun/weftrun", "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"},
    {"Open MPI", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_LOCAL_RANK",
     "OMPI_COMM_WORLD_LOCAL_SIZE"},
    {"PMI", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS"},
    {"Slurm", "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE"},
};

// A launcher's job identity, for the fallback meeting port and the store's job key.
std::string launcherJobId() {
  if (const char* ns = env("PMIX_NAMESPACE")) return ns;
  if (const char* j = env("OMPI_MCA_ess_base_jobid")) return std::string("ompi-") + j;
  if (const char* id = env("TORCHELASTIC_RUN_ID")) return std::string("torchrun-") + id;
  if (const char* j = env("SLURM_JOB_ID")) {
    const char* step = env("SLURM_STEP_ID");
    return std::string("slurm-") + j + "." + (step ? step : "0");
  }
  return {};
}

void parseTcp(const std::string& url, LaunchEnv& e) {
  std::string rest = url.substr(6);  // after tcp://
  std::string host, port;
  if (!rest.empty() && rest[0] == '[') {  // [v6 address]:port
    const auto close = rest.find(']');
    if (close == std::string::npos || close + 1 >= rest.size() || rest[close + 1] != ':') {
      throw InvalidArgument("WEFT_INIT='" + url + "' is not tcp://host:port");
    }
    host = rest.substr(1, close - 1);
    port = rest.substr(close + 2);
  } else {
    const auto colon = rest.rfind(':');
    if (colon == std::string::npos || colon == 0) throw InvalidArgument("WEFT_INIT='" + url + "' is not tcp://host:port");
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  e.method = LaunchEnv::Method::Tcp;
  e.host = host;
  e.port = toInt("the port of WEFT_INIT", port.c_str(), 1, 65535);
}

}  // namespace

LaunchEnv readLaunchRanks() {
  LaunchEnv e;
  e.source = "none";
  for (const Source& s : kSources) {
    const char* r = env(s.rank);
    const char* n = env(s.size);
    if (!r && !n) continue;
    if (!r || !n) throw InvalidArgument(std::string(r ? s.size : s.rank) + " is not set but " + (r ? s.rank : s.size) + " is");
    e.source = s.label;
    e.size = toInt(s.size, n, 1, 1 << 24);
    e.rank = toInt(s.rank, r, 0, e.size - 1);
    e.localRank = env(s.localRank) ? toInt(s.localRank, env(s.localRank), 0, e.size - 1) : e.rank;
    e.localSize = env(s.localSize) ? toInt(s.localSize, env(s.localSize), 1, e.size) : e.size;
    break;
  }
  return e;
}

LaunchEnv readLaunchEnv(const Config& config) {
  LaunchEnv e = readLaunchRanks();
  const std::string launcherId = launcherJobId();
  e.jobKey = !config.jobId.empty() ? config.jobId : launcherId;

  const std::string init = config.init;
  if (init.rfind("tcp://", 0) == 0) {
    parseTcp(init, e);
  } else if (init.rfind("file://", 0) == 0) {
    e.method = LaunchEnv::Method::File;
    e.path = init.substr(7);
    if (e.path.empty() || e.path[0] != '/') throw InvalidArgument("WEFT_INIT='" + init + "' is not file:///absolute/path");
  } else if (!init.empty() && init != "env://") {
    throw InvalidArgument("WEFT_INIT='" + init + "' is not tcp://host:port, file:///path or env://");
  } else if (env("MASTER_ADDR") || env("MASTER_PORT")) {
    if (!env("MASTER_ADDR") || !env("MASTER_PORT")) {
      throw InvalidArgument("MASTER_ADDR and MASTER_PORT must be set together");
    }
    e.method = LaunchEnv::Method::Tcp;
    e.host = env("MASTER_ADDR");
    e.port = toInt("MASTER_PORT", env("MASTER_PORT"), 1, 65535);
    // torchrun with a static rendezvous (--master-addr/--master-port) keeps its own store
    // (PyTorch's TCPStore, a protocol of its own) listening on MASTER_PORT for the whole job and
    // tells its workers so: weft meets one port above.
    if (const char* agent = env("TORCHELASTIC_USE_AGENT_STORE"); agent && std::string(agent) == "True") {
      if (e.port == 65535) throw InvalidArgument("MASTER_PORT=65535 under torchrun leaves weft no port above it");
      e.port += 1;
    }
  } else if (e.size > 1 && e.localSize == e.size && !launcherId.empty()) {
    // mpirun/srun on one host: every rank derives the same port from the launcher's job id.
    e.method = LaunchEnv::Method::Tcp;
    e.host = "127.0.0.1";
    e.port = 20000 + int(std::hash<std::string>{}(launcherId) % 20000);
  } else if (e.size > 1) {
    throw InvalidArgument("a job of " + std::to_string(e.size) + " ranks (from " + e.source +
                          " variables) needs a meeting point: set MASTER_ADDR and MASTER_PORT, "
                          "or WEFT_INIT=tcp://host:port or file:///path");
  }
  return e;
}

}  // namespace weft::runtime
