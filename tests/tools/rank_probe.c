// SPDX-License-Identifier: Apache-2.0
// Test rank for weftrun: reports the environment it was given, or prints known lines for --tag-output.
#define _GNU_SOURCE

#include <sched.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// Writes DIR/env-<RANK> with "KEY=VALUE" lines for the variables weftrun sets, plus our pid, the
// CPUs we may run on (CPUS=0,1,...) and WEFT_TEST_MARKER (which weftrun must pass through untouched).
static int reportEnv(const char* dir) {
  static const char* const kKeys[] = {"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE",
                                      "GROUP_RANK", "MASTER_ADDR", "MASTER_PORT", "WEFT_JOB_ID",
                                      "WEFT_TEST_MARKER"};
  const char* rank = getenv("RANK");
  if (rank == NULL) return 10;
  char tmp[4096], path[4096];
  snprintf(tmp, sizeof tmp, "%s/.env-%s", dir, rank);
  snprintf(path, sizeof path, "%s/env-%s", dir, rank);
  FILE* f = fopen(tmp, "w");
  if (f == NULL) return 11;
  fprintf(f, "PID=%ld\n", (long)getpid());
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof cpus, &cpus) != 0) return 14;
  fprintf(f, "CPUS=");
  for (int c = 0, first = 1; c < CPU_SETSIZE; ++c) {
    if (!CPU_ISSET(c, &cpus)) continue;
    fprintf(f, first ? "%d" : ",%d", c);
    first = 0;
  }
  fprintf(f, "\n");
  for (size_t i = 0; i < sizeof kKeys / sizeof kKeys[0]; ++i) {
    const char* value = getenv(kKeys[i]);
    fprintf(f, "%s=%s\n", kKeys[i], value ? value : "(unset)");
  }
  if (fclose(f) != 0) return 12;
  return rename(tmp, path) == 0 ? 0 : 13;  // rename: the test never sees a half-written file
}

// Two full lines and a partial last line on stdout, one line on stderr.
static int printLines(void) {
  const char* rank = getenv("RANK");
  if (rank == NULL) return 10;
  printf("out %s a\n", rank);
  fflush(stdout);
  fprintf(stderr, "err %s\n", rank);
  printf("out %s b\ntail %s", rank, rank);
  return 0;
}

int main(int argc, char** argv) {
  if (argc == 3 && strcmp(argv[1], "env") == 0) return reportEnv(argv[2]);
  if (argc == 2 && strcmp(argv[1], "print") == 0) return printLines();
  fprintf(stderr, "usage: rank_probe env DIR | rank_probe print\n");
  return 2;
}
