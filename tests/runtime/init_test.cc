// SPDX-License-Identifier: Apache-2.0
// weftGetUniqueId + weftCommInitRank with thread ranks: a working communicator, and the timeout
// that names the rank that never came.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <cstdlib>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "runtime/weft.hpp"

namespace {

struct Outcome {
  weftResult_t code = weftInternalError;
  std::string message;
  double seconds = 0;
};

// Sets an environment variable for a scope (only while no other thread reads the environment).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old, had_ = true;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (had_) ::setenv(name_, old_.c_str(), 1);
    else ::unsetenv(name_);
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

// Calls weftCommInitRank(nranks, id, r) on one thread per rank in `ranks`; returns each outcome.
std::vector<Outcome> initRanks(const weftUniqueId& id, int nranks, const std::vector<int>& ranks) {
  std::vector<Outcome> out(ranks.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < ranks.size(); ++i) {
    threads.emplace_back([&, i] {
      const auto start = std::chrono::steady_clock::now();
      weftComm_t comm = nullptr;
      out[i].code = weftCommInitRank(&comm, nranks, id, ranks[i]);
      out[i].message = weftGetLastError(nullptr);  // thread-local: read on the failing thread
      out[i].seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      weftCommDestroy(comm);
    });
  }
  for (auto& t : threads) t.join();
  return out;
}

}  // namespace

TEST_CASE("weftCommInitRank: four threads join through a unique id, then all-reduce", "[init]") {
  constexpr int kRanks = 4;
  const weftUniqueId id = weft::Comm::uniqueId();
  std::vector<std::string> errors(kRanks);
  std::vector<std::thread> threads;
  for (int r = 0; r < kRanks; ++r) {
    threads.emplace_back([&, r] {
      try {
        weft::Comm comm = weft::Comm::initRank(kRanks, id, r);
        if (comm.rank() != r || comm.size() != kRanks) throw std::runtime_error("wrong rank or size");
        std::vector<float> data(1000);
        for (size_t i = 0; i < data.size(); ++i) data[i] = float(r * 1000 + int(i));
        comm.allReduce(std::span<float>(data), weftSum);
        for (size_t i = 0; i < data.size(); ++i) {
          const float want = float(kRanks * int(i) + 1000 * kRanks * (kRanks - 1) / 2);
          if (data[i] != want) throw std::runtime_error("element " + std::to_string(i) + " is " + std::to_string(data[i]));
        }
      } catch (const std::exception& e) {
        errors[size_t(r)] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int r = 0; r < kRanks; ++r) {
    INFO("rank " << r);
    CHECK(errors[size_t(r)] == "");
  }
}

TEST_CASE("weftCommInitRank: a rank that never arrives makes the others time out, named", "[init]") {
  ScopedEnv timeout("WEFT_BOOTSTRAP_TIMEOUT", "1");
  const weftUniqueId id = weft::Comm::uniqueId();
  SECTION("rank 3 of 4 missing") {
    for (const Outcome& o : initRanks(id, 4, {0, 1, 2})) {
      INFO(o.message);
      CHECK(o.code == weftTimeout);
      CHECK(o.seconds < 5);
      CHECK(o.message.find("rank(s) 3 never arrived") != std::string::npos);
    }
  }
  SECTION("rank 0 of 3 missing") {
    for (const Outcome& o : initRanks(id, 3, {1, 2})) {
      INFO(o.message);
      CHECK(o.code == weftTimeout);
      CHECK(o.seconds < 5);
      CHECK(o.message.find("rank(s) 0 never arrived") != std::string::npos);
    }
  }
}

TEST_CASE("weftCommInitRank: an id with another secret is refused, and the job goes on", "[init][auth]") {
  ScopedEnv timeout("WEFT_BOOTSTRAP_TIMEOUT", "5");
  const weftUniqueId id = weft::Comm::uniqueId();
  // The same server, another secret: the bytes after magic (4), port (2) and host (64).
  weftUniqueId forged = id;
  forged.internal[70] = char(forged.internal[70] ^ 1);
  const Outcome stranger = initRanks(forged, 2, {1}).at(0);
  INFO(stranger.message);
  CHECK(stranger.code == weftRemoteError);
  // Its job key, derived from its secret, already differs (the store also checks the proof of
  // the secret itself: tests/runtime/store/tcp_store_test.cc).
  CHECK(stranger.message.find("belongs to another job") != std::string::npos);
  CHECK(stranger.seconds < 5);
  // The store served nobody in the stranger's name: the real ranks meet and form the job.
  for (const Outcome& o : initRanks(id, 2, {0, 1})) {
    INFO(o.message);
    CHECK(o.code == weftSuccess);
  }
}

TEST_CASE("weftCommInitRank: the timeout message gives the communicator's real size", "[init]") {
  // Waiting for rank 0 used to be reported as "bootstrap of rank 1 of 1", the size of the
  // internal gather rather than of the communicator.
  ScopedEnv timeout("WEFT_BOOTSTRAP_TIMEOUT", "0.5");
  const weftUniqueId id = weft::Comm::uniqueId();
  const std::vector<Outcome> out = initRanks(id, 3, {1});
  INFO(out[0].message);
  CHECK(out[0].code == weftTimeout);
  CHECK(out[0].message.find("rank 1 of 3") != std::string::npos);
}

namespace {

// A port that was free a moment ago (the kernel's ephemeral choice), at most `below`.
int freePortBelow(int below) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(a);
    const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&a), len) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    if (ok && ntohs(a.sin_port) <= below) return ntohs(a.sin_port);
  }
  return 0;
}

}  // namespace

TEST_CASE("WEFT_PORT_RANGE: the unique id's server and the TCP links listen on ports of the range", "[init]") {
  const int base = freePortBelow(65535 - 15);
  REQUIRE(base != 0);
  const std::string range = std::to_string(base) + "-" + std::to_string(base + 15);
  const std::string log = (std::filesystem::temp_directory_path() / ("weft-ports-" + std::to_string(::getpid()) + ".txt")).string();
  const std::vector<std::pair<const char*, std::string>> env = {
      {"WEFT_PORT_RANGE", range}, {"WEFT_TRANSPORT", "tcp"}, {"WEFT_SOCKET_IFNAME", "lo"},
      {"WEFT_DEBUG", "INFO"}, {"WEFT_DEBUG_FILE", log}};
  for (const auto& [k, v] : env) setenv(k, v.c_str(), 1);
  weftUniqueId id;
  REQUIRE(weftGetUniqueId(&id) == weftSuccess);
  std::vector<int> results(2, -1);
  std::vector<std::thread> ranks;
  for (int r = 0; r < 2; ++r) {
    ranks.emplace_back([&, r] {
      weftComm_t comm = nullptr;
      int x = r + 1;
      results[size_t(r)] = weftCommInitRank(&comm, 2, id, r) == weftSuccess &&
                                   weftAllReduce(&x, &x, 1, weftInt32, weftSum, comm, nullptr) == weftSuccess && x == 3 &&
                                   weftCommDestroy(comm) == weftSuccess;
    });
  }
  for (auto& t : ranks) t.join();
  for (const auto& [k, v] : env) unsetenv(k);
  { auto quiet = weft::Comm::initAll(1); }  // logging back to the defaults
  CHECK(results == std::vector<int>{1, 1});

  std::ifstream in(log);
  std::string line;
  std::vector<int> ports;
  while (std::getline(in, line)) {
    for (const std::string marker : {"store server listening on 127.0.0.1 port ", "tcp: listening on 127.0.0.1:"}) {
      const size_t at = line.find(marker);
      if (at != std::string::npos) ports.push_back(std::atoi(line.c_str() + at + marker.size()));
    }
  }
  std::filesystem::remove(log);
  INFO("range " << range);
  CHECK(ports.size() == 3);  // the id's server and each rank's listener
  for (int p : ports) {
    CHECK(p >= base);
    CHECK(p <= base + 15);
  }
}
