// SPDX-License-Identifier: Apache-2.0
// WEFT_DEBUG / WEFT_DEBUG_FILE logging, and no shared-memory names left once a communicator exists.
#include <catch2/catch.hpp>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "runtime/weft.hpp"

namespace fs = std::filesystem;

TEST_CASE("WEFT_DEBUG=INFO logs host:pid:rank-prefixed lines to WEFT_DEBUG_FILE", "[log]") {
  const fs::path dir = fs::temp_directory_path() / ("weft-log-" + std::to_string(getpid()));
  fs::create_directories(dir);
  setenv("WEFT_DEBUG", "INFO", 1);
  setenv("WEFT_DEBUG_FILE", (dir / "log-%p.txt").c_str(), 1);
  { auto comms = weft::Comm::initAll(2); }
  unsetenv("WEFT_DEBUG");
  unsetenv("WEFT_DEBUG_FILE");
  { auto quiet = weft::Comm::initAll(1); }  // back to the defaults: WARN on stderr

  std::ifstream in(dir / ("log-" + std::to_string(getpid()) + ".txt"));
  REQUIRE(in.good());
  std::stringstream text;
  text << in.rdbuf();
  char host[256] = {0};
  gethostname(host, sizeof(host) - 1);
  const std::string prefix = std::string(host) + ":" + std::to_string(getpid()) + ":";
  CHECK(text.str().find(prefix + "0 weft INFO communicator ready: rank 0 of 2") != std::string::npos);
  CHECK(text.str().find(prefix + "1 weft INFO communicator ready: rank 1 of 2") != std::string::npos);
  fs::remove_all(dir);
}

TEST_CASE("a bad WEFT_DEBUG value is refused with a message naming it", "[log]") {
  setenv("WEFT_DEBUG", "LOUD", 1);
  weftComm_t comm = nullptr;
  CHECK(weftCommInitAll(&comm, 1, nullptr) == weftInvalidArgument);
  CHECK(std::string(weftGetLastError(nullptr)).find("WEFT_DEBUG='LOUD'") != std::string::npos);
  unsetenv("WEFT_DEBUG");
}

TEST_CASE("once init returns, /dev/shm holds no segment of this process", "[shm]") {
  auto comms = weft::Comm::initAll(3);
  const std::string mine = "weft-" + std::to_string(getpid()) + "-";
  int found = 0;
  for (const auto& e : fs::directory_iterator("/dev/shm")) {
    if (e.path().filename().string().rfind(mine, 0) == 0) ++found;
  }
  CHECK(found == 0);
}
