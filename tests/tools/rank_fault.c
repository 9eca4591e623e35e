// SPDX-License-Identifier: Apache-2.0
// Test rank for weftrun: rank 1 fails in a chosen way while the others sleep (or outlive it), or
// ranks leave orphans.
#define _POSIX_C_SOURCE 200809L  // shm_open, ftruncate, nanosleep under -std=c11

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static const char* dir;
static int rank, worldSize;

// Publishes our pid as DIR/pid-<RANK> (written then renamed, so it is never seen half-written).
static void publishPid(void) {
  char tmp[4096], path[4096];
  snprintf(tmp, sizeof tmp, "%s/.pid-%d", dir, rank);
  snprintf(path, sizeof path, "%s/pid-%d", dir, rank);
  FILE* f = fopen(tmp, "w");
  if (f == NULL) exit(20);
  fprintf(f, "%ld\n", (long)getpid());
  if (fclose(f) != 0 || rename(tmp, path) != 0) exit(21);
}

// Waits (at most 5 s) until every rank has published its pid, so that the test knows all of
// them before anything fails.
static void waitForAllPids(void) {
  for (int tries = 0; tries < 1000; ++tries) {
    int seen = 0;
    for (int r = 0; r < worldSize; ++r) {
      char path[4096];
      snprintf(path, sizeof path, "%s/pid-%d", dir, r);
      seen += access(path, F_OK) == 0;
    }
    if (seen == worldSize) return;
    const struct timespec fiveMs = {0, 5 * 1000 * 1000};
    nanosleep(&fiveMs, NULL);
  }
  exit(22);
}

// Waits (at most 5 s) until rank 1 is gone, reaped by weftrun: its pid no longer exists.
static void waitForRank1Gone(void) {
  char path[4096];
  snprintf(path, sizeof path, "%s/pid-1", dir);
  FILE* f = fopen(path, "r");
  long pid = 0;
  if (f == NULL || fscanf(f, "%ld", &pid) != 1) exit(24);
  fclose(f);
  for (int tries = 0; tries < 1000; ++tries) {
    if (kill((pid_t)pid, 0) != 0 && errno == ESRCH) return;
    const struct timespec fiveMs = {0, 5 * 1000 * 1000};
    nanosleep(&fiveMs, NULL);
  }
  exit(25);
}

// Leaves a segment named like weft's shm transport does, as a crashed rank would.
static void createSegment(void) {
  char name[64];
  snprintf(name, sizeof name, "/weft-%ld-test", (long)getpid());
  const int fd = shm_open(name, O_CREAT | O_RDWR, 0600);
  if (fd < 0 || ftruncate(fd, 4096) != 0) exit(42);
  close(fd);
}

int main(int argc, char** argv) {
  const char* rankText = getenv("RANK");
  const char* sizeText = getenv("WORLD_SIZE");
  if (argc != 3 || rankText == NULL || sizeText == NULL) {
    fprintf(stderr, "usage: rank_fault crash|exit3|stubborn|sleep|orphan|lose DIR (under weftrun)\n");
    return 2;
  }
  const char* mode = argv[1];
  dir = argv[2];
  rank = atoi(rankText);
  worldSize = atoi(sizeText);

  if (strcmp(mode, "orphan") == 0) {
    // The rank exits 0 but leaves a child running; that child publishes the pid.
    const pid_t child = fork();
    if (child < 0) return 23;
    if (child > 0) {
      waitForAllPids();
      return 0;
    }
    publishPid();
    for (int i = 0; i < 60; ++i) sleep(1);
    return 0;
  }
  if (strcmp(mode, "stubborn") == 0) signal(SIGTERM, SIG_IGN);  // only SIGKILL stops us
  if (rank == 1 && strcmp(mode, "crash") == 0) createSegment();  // before the pid is published
  publishPid();

  if (rank == 1 && strcmp(mode, "sleep") != 0) {
    waitForAllPids();
    if (strcmp(mode, "lose") == 0) raise(SIGKILL);
    if (strcmp(mode, "crash") == 0) {
      const struct rlimit noCore = {0, 0};
      setrlimit(RLIMIT_CORE, &noCore);  // no core file: it would be slow and litter the disk
      raise(SIGSEGV);
    }
    return 3;  // exit3 and stubborn
  }
  if (strcmp(mode, "lose") == 0) {
    // Outlive rank 1 by long enough for a weftrun that stops the job to stop us first.
    waitForAllPids();
    waitForRank1Gone();
    const struct timespec halfSecond = {0, 500 * 1000 * 1000};
    nanosleep(&halfSecond, NULL);
    printf("rank %d finished\n", rank);
    return 0;
  }
  for (int i = 0; i < 60; ++i) sleep(1);
  return 0;
}
