// SPDX-License-Identifier: Apache-2.0
// One rank's sweep of every collective on device buffers of the test device runtime, at one
// count, each call after a "kernel" writing its input and before one reading its output, with the
// stream held until every call was issued (stream_calls_test with thread ranks, mp_stream with
// processes).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "runtime/weft.h"
#include "tests/runtime/stream_cases.h"
#include "tests/support/fake_device.h"

namespace weft::test {

// Returns the wrong outputs ("allgather in place, count 7: element 1 is 0, not 1001 [...]"), and
// "the stream started before every call was issued" if a call waited for its stream. Throws
// std::runtime_error when a call is refused.
// `kinds`: those of tests/runtime/stream_cases.h to run (all by default).
std::vector<std::string> sweepOnStream(FakeDevice& dev, weftComm_t comm, int rank, int n, size_t count,
                                       std::span<const Kind> kinds = kKinds);

}  // namespace weft::test
