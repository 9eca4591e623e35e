// SPDX-License-Identifier: Apache-2.0
// weftrun's entry point: parse the command line, run the job, turn the outcome into an exit status.
#include <fcntl.h>

#include <cstdio>
#include <exception>
#include <span>

#include "tools/weftrun/launcher.h"
#include "tools/weftrun/options.h"
#include "weft_config.h"

extern char** environ;

namespace {

// If weftrun was started with fd 0, 1 or 2 closed, the next open() would land there and our own
// pipes could end up posing as stdout; fill such holes with /dev/null first.
void ensureStandardFds() {
  for (int fd = 0; fd <= 2; ++fd) {
    if (::fcntl(fd, F_GETFD) < 0) ::open("/dev/null", O_RDWR);  // takes the lowest free fd: `fd`
  }
}

}  // namespace

int main(int argc, char** argv) {
  using namespace weft::weftrun;
  ensureStandardFds();
  const ParseOutcome parsed =
      parseOptions(std::span<const char* const>(argv + 1, static_cast<size_t>(argc - 1)));
  switch (parsed.action) {
    case Action::Help:
      printUsage(stdout);
      return 0;
    case Action::Version:
      std::printf("weftrun (weft) %d.%d.%d\n", WEFT_VERSION_MAJOR, WEFT_VERSION_MINOR,
                  WEFT_VERSION_PATCH);
      return 0;
    case Action::UsageError:
      std::fprintf(stderr, "weftrun: %s\n", parsed.error.c_str());
      printUsage(stderr);
      return 2;
    case Action::Run:
      break;
  }
  try {
    Launcher launcher(parsed.options, environ);
    return launcher.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "weftrun: %s\n", e.what());
    return 1;
  }
}
