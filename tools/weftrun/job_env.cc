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

std::string randomJobId() {
  uint64_t bits = 0;
  auto* out = reinterpret_cast<unsigned char*>(&bits);
  size_t got = 0;
  while (got < sizeof bits) {
    const ssize_t n = ::getrandom(out + got, sizeof bits - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throwErrno("getrandom");
    }
    got += static_cast<size_t>(n);
  }
  std::array<char, 17> hex{};
  std::snprintf(hex.data(), hex.size(), "%016llx", static_cast<unsigned long long>(bits));
  return std::string(hex.data());
}

JobInfo makeJobInfo(int worldSize) {
  JobInfo job;
  job.worldSize = worldSize;
  job.masterPort = findFreePort();
  job.jobId = randomJobId();
  return job;
}

std::vector<std::string> rankEnvironment(const char* const* base, const JobInfo& job, int rank) {
  const std::pair<std::string_view, std::string> overrides[] = {
      {"RANK", std::to_string(rank)},
      {"WORLD_SIZE", std::to_string(job.worldSize)},
      {"LOCAL_RANK", std::to_string(rank)},
      {"LOCAL_WORLD_SIZE", std::to_string(job.worldSize)},
      {"MASTER_ADDR", job.masterAddr},
      {"MASTER_PORT", std::to_string(job.masterPort)},
      {"WEFT_JOB_ID", job.jobId},
  };
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
