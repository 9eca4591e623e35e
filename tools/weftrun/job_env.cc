// SPDX-License-Identifier: Apache-2.0
// Finds a free port, draws a random job id, and writes each rank's environment block.
#include "tools/weftrun/job_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/random.h>
#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "tools/weftrun/unique_fd.h"

namespace weft::weftrun {
namespace {

[[noreturn]] void throwErrno(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

}  // namespace

uint16_t findFreePort() {
  UniqueFd sock(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock.valid()) throwErrno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(sock.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throwErrno("bind 127.0.0.1:0");
  }
  socklen_t len = sizeof addr;
  if (::getsockname(sock.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throwErrno("getsockname");
  }
  return ntohs(addr.sin_port);
}

std::string randomHex(size_t bytes) {
  std::vector<unsigned char> out(bytes);
  size_t got = 0;
  while (got < bytes) {
    const ssize_t n = ::getrandom(out.data() + got, bytes - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throwErrno("getrandom");
    }
    got += static_cast<size_t>(n);
  }
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned char b : out) {
    hex += kDigits[b >> 4];
    hex += kDigits[b & 15];
  }
  return hex;
}

JobInfo makeJobInfo(int localSize, int nnodes, int nodeRank, const std::string& masterAddr, int masterPort,
                    const char* userJobId) {
  JobInfo job;
  job.worldSize = localSize * nnodes;
  job.localSize = localSize;
  job.nodeRank = nodeRank;
  job.masterAddr = masterAddr;
  job.masterPort = masterPort != 0 ? uint16_t(masterPort) : findFreePort();
  if (nnodes == 1) {
    job.jobId = randomJobId();  // a fresh one even inside another job's rank
    job.secret = randomHex(32);  // Note [Job secret]: every connection of the job proves it
  } else if (userJobId && *userJobId) {
    job.jobId = userJobId;
  } else {
    // Every host must present the same key to the store: derive it from what they all share.
    uint64_t h = 1469598103934665603ull;
    const std::string shared = masterAddr + ":" + std::to_string(masterPort) + "/" + std::to_string(job.worldSize);
    for (char c : shared) h = (h ^ uint8_t(c)) * 1099511628211ull;
    std::array<char, 17> hex{};
    std::snprintf(hex.data(), hex.size(), "%016llx", static_cast<unsigned long long>(h));
    job.jobId = hex.data();
  }
  return job;
}

std::vector<std::string> rankEnvironment(const char* const* base, const JobInfo& job, int localRank) {
  std::vector<std::pair<std::string_view, std::string>> overrides = {
      {"RANK", std::to_string(job.nodeRank * job.localSize + localRank)},
      {"WORLD_SIZE", std::to_string(job.worldSize)},
      {"LOCAL_RANK", std::to_string(localRank)},
      {"LOCAL_WORLD_SIZE", std::to_string(job.localSize)},
      {"GROUP_RANK", std::to_string(job.nodeRank)},
      {"MASTER_ADDR", job.masterAddr},
      {"MASTER_PORT", std::to_string(job.masterPort)},
      {"WEFT_JOB_ID", job.jobId},
  };
  if (!job.secret.empty()) overrides.emplace_back("WEFT_SECRET", job.secret);
  auto isOverridden = [&](std::string_view entry) {
    for (const auto& [key, value] : overrides) {
      if (entry.size() > key.size() && entry.substr(0, key.size()) == key &&
          entry[key.size()] == '=') {
        return true;
      }
    }
    return false;
  };

  std::vector<std::string> env;
  for (const char* const* p = base; p != nullptr && *p != nullptr; ++p) {
    if (!isOverridden(*p)) env.emplace_back(*p);
  }
  for (const auto& [key, value] : overrides) {
    env.push_back(std::string(key) + "=" + value);
  }
  return env;
}

}  // namespace weft::weftrun
