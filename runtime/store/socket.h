// SPDX-License-Identifier: Apache-2.0
// Small socket helpers for the TCP store: deadline-bounded I/O, listen and connect.
#pragma once

#include "common/port_range.h"

#include <cstddef>
#include <string>
#include <vector>

#include "common/deadline.h"
#include "runtime/store/unique_fd.h"

namespace weft::store::detail {

// "tcp://127.0.0.1:29500" or "tcp://[::1]:29500".
std::string tcpUrl(const std::string& host, int port);

// Milliseconds until the deadline for poll(): at least 0, at most maxMs.
int pollTimeoutMs(const Deadline& deadline, int maxMs = 1000);

// Outcome of deadline-bounded I/O; on Error, *err holds errno.
enum class Io { Ok, Timeout, Closed, Error };

// Sends/receives exactly n bytes on a non-blocking socket, polling until the deadline.
Io sendAll(int fd, const void* data, size_t n, const Deadline& deadline, int* err);
Io recvAll(int fd, void* data, size_t n, const Deadline& deadline, int* err);

void setNonBlocking(int fd);
void setNoDelay(int fd);

// One non-blocking connect attempt to each address of host:port, each bounded by the deadline.
// Returns a connected non-blocking socket with TCP_NODELAY, or an invalid fd with *lastError
// describing the last failure ("Connection refused", "Name or service not known").
UniqueFd tryConnect(const std::string& host, int port, const Deadline& deadline, std::string* lastError);

// Listening sockets for bindHost ("" = every interface, through one dual-stack socket where
// IPv6 exists) on port (0 = ephemeral; every socket gets the same port). SO_REUSEADDR is set.
// Throws SystemError; for EADDRINUSE: "cannot listen on port 29500: Address already in use
// (another job may be using this MASTER_PORT)".
std::vector<UniqueFd> listenOn(const std::string& bindHost, int port, int* boundPort);
// The same on the first free port of `range` (WEFT_PORT_RANGE; any(): an ephemeral port).
std::vector<UniqueFd> listenOn(const std::string& bindHost, const PortRange& range, int* boundPort);

}  // namespace weft::store::detail
