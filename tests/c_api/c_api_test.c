/* SPDX-License-Identifier: Apache-2.0 */
/* weft.h from C11: three pthread ranks run a float all-reduce and a broadcast; version and error
 * strings; exits non-zero on any failure. */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/weft.h"

enum { kRanks = 3, kCount = 1000, kRoot = 1 };

struct RankArgs {
  weftComm_t comm;
  int rank;
  int failures;
};

static int check(int ok, int rank, const char* what) {
  if (!ok) fprintf(stderr, "c_api_test: rank %d: %s\n", rank, what);
  return ok ? 0 : 1;
}

static int checkCall(weftResult_t r, int rank, const char* what) {
  if (r != weftSuccess) {
    fprintf(stderr, "c_api_test: rank %d: %s returned %d (%s): %s\n", rank, what, (int)r,
            weftGetErrorString(r), weftGetLastError(NULL));
  }
  return r == weftSuccess ? 0 : 1;
}

/* Element i of rank r is r + i % 5; the sum over ranks, n*(i % 5) + n(n-1)/2, is exact in float. */
static int checkAllReduce(const struct RankArgs* a, float* send, float* recv) {
  int i, failures = 0;
  for (i = 0; i < kCount; ++i) {
    send[i] = (float)(a->rank + i % 5);
    recv[i] = -1.0f;
  }
  failures += checkCall(weftAllReduce(send, recv, kCount, weftFloat32, weftSum, a->comm, NULL), a->rank,
                        "weftAllReduce");
  for (i = 0; i < kCount; ++i) {
    if (recv[i] != (float)(kRanks * (i % 5) + kRanks * (kRanks - 1) / 2)) {
      return failures + check(0, a->rank, "wrong all-reduce result");
    }
    if (send[i] != (float)(a->rank + i % 5)) return failures + check(0, a->rank, "all-reduce changed sendbuff");
  }
  return failures;
}

/* In place: the root's buffer holds 2i + 1, the others' are overwritten with it. */
static int checkBroadcast(const struct RankArgs* a, float* buf) {
  int i, failures = 0;
  for (i = 0; i < kCount; ++i) buf[i] = a->rank == kRoot ? (float)(2 * i + 1) : 0.0f;
  failures += checkCall(weftBroadcast(buf, buf, kCount, weftFloat32, kRoot, a->comm, NULL), a->rank,
                        "weftBroadcast");
  for (i = 0; i < kCount; ++i) {
    if (buf[i] != (float)(2 * i + 1)) return failures + check(0, a->rank, "wrong broadcast result");
  }
  return failures;
}

static void* runRank(void* p) {
  struct RankArgs* a = (struct RankArgs*)p;
  float* send = malloc(kCount * sizeof(float));
  float* recv = malloc(kCount * sizeof(float));
  int n = 0, rank = -1;
  a->failures += checkCall(weftCommCount(a->comm, &n), a->rank, "weftCommCount");
  a->failures += checkCall(weftCommUserRank(a->comm, &rank), a->rank, "weftCommUserRank");
  a->failures += check(n == kRanks && rank == a->rank, a->rank, "wrong size or rank");
  /* Without memory this rank cannot take part, and the others would wait for it: stop here. */
  if (!send || !recv) {
    fprintf(stderr, "c_api_test: out of memory\n");
    exit(1);
  }
  a->failures += checkAllReduce(a, send, recv);
  a->failures += checkBroadcast(a, recv);
  weftResult_t state = weftInternalError;
  a->failures += checkCall(weftCommGetAsyncError(a->comm, &state), a->rank, "weftCommGetAsyncError");
  a->failures += check(state == weftSuccess, a->rank, "a working communicator reports an async error");
  free(send);
  free(recv);
  return NULL;
}

static int checkVersionAndStrings(void) {
  int failures = 0, version = -1, r;
  failures += checkCall(weftGetVersion(&version), -1, "weftGetVersion");
  failures += check(version == WEFT_VERSION_CODE, -1, "weftGetVersion differs from WEFT_VERSION_CODE");
  failures += check(WEFT_VERSION_CODE == WEFT_MAJOR * 10000 + WEFT_MINOR * 100 + WEFT_PATCH, -1,
                    "WEFT_VERSION_CODE is not MAJOR*10000 + MINOR*100 + PATCH");
  for (r = 0; r < weftNumResults; ++r) {
    const char* s = weftGetErrorString((weftResult_t)r);
    int other;
    failures += check(s != NULL && s[0] != '\0', r, "weftGetErrorString is empty");
    for (other = 0; s && other < r; ++other) {
      failures += check(strcmp(s, weftGetErrorString((weftResult_t)other)) != 0, r, "two codes share a string");
    }
  }
  failures += check(weftGetErrorString((weftResult_t)999) != NULL, 999, "weftGetErrorString(999) is NULL");
  /* An error from C: the code comes back and the message is kept for this thread. */
  failures += check(weftAllReduce(NULL, NULL, 1, weftFloat32, weftSum, NULL, NULL) == weftInvalidArgument, -1,
                    "weftAllReduce on a NULL comm is not weftInvalidArgument");
  failures += check(weftGetLastError(NULL)[0] != '\0', -1, "no message after a failed call");
  return failures;
}

/* Out-of-range enum values, which only C can pass without undefined behaviour in the caller. */
static int checkBadEnums(weftComm_t comm) {
  float x[4] = {1, 2, 3, 4}, y[4] = {0, 0, 0, 0};
  int failures = 0;
  failures += check(weftAllReduce(x, y, 4, (weftDataType_t)-1, weftSum, comm, NULL) == weftInvalidArgument, -1,
                    "weftAllReduce with datatype -1 is not weftInvalidArgument");
  failures += check(weftAllReduce(x, y, 4, weftFloat32, (weftRedOp_t)-1, comm, NULL) == weftInvalidArgument, -1,
                    "weftAllReduce with op -1 is not weftInvalidArgument");
  failures += check(weftBroadcast(x, y, 4, (weftDataType_t)-1, 0, comm, NULL) == weftInvalidArgument, -1,
                    "weftBroadcast with datatype -1 is not weftInvalidArgument");
  failures += check(weftGetLastError(NULL)[0] != '\0', -1, "no message after a failed call");
  failures += check(y[0] == 0 && y[3] == 0, -1, "a refused call wrote to recvbuff");
  return failures;
}

int main(void) {
  weftComm_t comms[kRanks];
  struct RankArgs args[kRanks];
  pthread_t threads[kRanks];
  int failures = checkVersionAndStrings();
  int i;

  if (checkCall(weftCommInitAll(comms, kRanks, NULL), -1, "weftCommInitAll")) return 1;
  failures += checkBadEnums(comms[0]);  /* refused before any rank takes part */
  for (i = 0; i < kRanks; ++i) {
    args[i].comm = comms[i];
    args[i].rank = i;
    args[i].failures = 0;
    if (pthread_create(&threads[i], NULL, runRank, &args[i]) != 0) {
      fprintf(stderr, "c_api_test: pthread_create failed\n");
      return 1;
    }
  }
  for (i = 0; i < kRanks; ++i) {
    pthread_join(threads[i], NULL);
    failures += args[i].failures;
    failures += checkCall(weftCommDestroy(comms[i]), i, "weftCommDestroy");
  }
  if (failures) {
    fprintf(stderr, "c_api_test: %d failure(s)\n", failures);
    return 1;
  }
  printf("c_api_test: all checks passed\n");
  return 0;
}
