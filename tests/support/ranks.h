// SPDX-License-Identifier: Apache-2.0
// Test helpers: run N thread ranks over the public API, collect results, rethrow on the caller.
#pragma once

#include <exception>
#include <cstdlib>
#include <functional>
#include <string>
#include <utility>
#include <thread>
#include <vector>

#include "runtime/weft.hpp"

namespace weft::test {

// weftCommGetAsyncError's answer (weftInternalError if it cannot be asked).
inline weftResult_t asyncError(weftComm_t c) {
  weftResult_t e = weftInternalError;
  if (weftCommGetAsyncError(c, &e) != weftSuccess) return weftInternalError;
  return e;
}

// Environment settings, as (name, value) pairs.
using EnvSettings = std::vector<std::pair<std::string, std::string>>;

// Comm::initAll(n) with `env` set while the communicators form (weft reads its settings at
// init), removed again afterwards.
inline std::vector<Comm> initAllWith(int n, const EnvSettings& env) {
  for (const auto& [name, value] : env) setenv(name.c_str(), value.c_str(), 1);
  auto comms = Comm::initAll(n);
  for (const auto& [name, value] : env) unsetenv(name.c_str());
  return comms;
}

// Two 64-byte slots per FIFO: many rounds, and FIFOs that fill up.
inline const EnvSettings kTinySlots = {{"WEFT_SHM_SLOT_BYTES", "64"}, {"WEFT_SHM_SLOTS", "2"}};

// Runs fn(comm) on `n` thread ranks of one communicator (weftCommInitAll) and returns each
// rank's result; the first exception of any rank is rethrown here, on the calling thread, so that
// Catch2 assertions (not thread-safe) stay on the main thread.
template <class Fn>
auto runRanks(int n, Fn&& fn) {
  using R = decltype(fn(std::declval<Comm&>()));
  std::vector<Comm> comms = Comm::initAll(n);
  std::vector<R> out(static_cast<size_t>(n));
  std::vector<std::exception_ptr> errors(static_cast<size_t>(n));
  std::vector<std::thread> threads;
  for (int r = 0; r < n; ++r) {
    threads.emplace_back([&, r] {
      try {
        out[size_t(r)] = fn(comms[size_t(r)]);
      } catch (...) {
        errors[size_t(r)] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
  return out;
}

// Same, over communicators the caller keeps (to run many collectives on one communicator).
template <class Fn>
void onEachRank(std::vector<Comm>& comms, Fn&& fn) {
  std::vector<std::exception_ptr> errors(comms.size());
  std::vector<std::thread> threads;
  for (size_t r = 0; r < comms.size(); ++r) {
    threads.emplace_back([&, r] {
      try {
        fn(comms[r], int(r));
      } catch (...) {
        errors[r] = std::current_exception();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (auto& e : errors) {
    if (e) std::rethrow_exception(e);
  }
}

}  // namespace weft::test
