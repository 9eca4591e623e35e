/* SPDX-License-Identifier: Apache-2.0 */
/* weft.h: the public C API of weft, a collective-communication runtime, in the shape of NCCL's. */
#ifndef WEFT_H_
#define WEFT_H_

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define WEFT_API __attribute__((visibility("default")))
#else
#define WEFT_API
#endif

#define WEFT_MAJOR 0
#define WEFT_MINOR 1
#define WEFT_PATCH 0
/* weftGetVersion reports MAJOR*10000 + MINOR*100 + PATCH, as NCCL_VERSION_CODE does. */
#define WEFT_VERSION(X, Y, Z) ((X) * 10000 + (Y) * 100 + (Z))
#define WEFT_VERSION_CODE WEFT_VERSION(WEFT_MAJOR, WEFT_MINOR, WEFT_PATCH)

/* A C caller may pass any int as one of these enums. In C++ they take int as their underlying
   type, so that every such value is a valid one that weft can refuse (a value outside an enum's
   range is undefined behaviour in C++; UBSan reports it, tools/sanitize). */
#ifdef __cplusplus
#define WEFT_ENUM_INT : int
#else
#define WEFT_ENUM_INT
#endif

/* Every call returns one of these; none aborts the process or prints to stdout. */
typedef enum WEFT_ENUM_INT {
  weftSuccess = 0,
  weftUnhandledCudaError = 1,
  weftSystemError = 2,     /* a system call failed (message has errno's text) */
  weftInternalError = 3,   /* a bug in weft */
  weftInvalidArgument = 4, /* bad input: null buffer, unknown datatype, root out of range, ... */
  weftInvalidUsage = 5,    /* a valid call at the wrong time */
  weftRemoteError = 6,     /* a peer failed or misbehaved */
  weftInProgress = 7,      /* nonblocking work not finished yet */
  weftTimeout = 8,         /* a deadline passed (WEFT_TIMEOUT); the message names what and whom */
  weftNumResults = 9
} weftResult_t;

typedef enum WEFT_ENUM_INT {
  weftInt8 = 0, weftChar = 0,
  weftUint8 = 1,
  weftInt32 = 2, weftInt = 2,
  weftUint32 = 3,
  weftInt64 = 4,
  weftUint64 = 5,
  weftFloat16 = 6, weftHalf = 6,
  weftFloat32 = 7, weftFloat = 7,
  weftFloat64 = 8, weftDouble = 8,
  weftBfloat16 = 9,
  weftNumTypes = 10
} weftDataType_t;

typedef enum WEFT_ENUM_INT {
  weftSum = 0,
  weftProd = 1,
  weftMax = 2,
  weftMin = 3,
  weftAvg = 4, /* sum, then one division by the number of ranks */
  weftNumOps = 5
} weftRedOp_t;
#undef WEFT_ENUM_INT

/* An opaque communicator handle. */
typedef struct weftComm* weftComm_t;

/* The handle of a nonblocking call (weft*Async), completed by weftWait or weftTest. */
typedef struct weftRequest* weftRequest_t;

/* A cudaStream_t for device buffers; NULL for host buffers (the only kind this build accepts). */
typedef void* weftStream_t;

#define WEFT_UNIQUE_ID_BYTES 128
/* Made by one rank with weftGetUniqueId and passed to all others out of band (as ncclUniqueId). */
typedef struct {
  char internal[WEFT_UNIQUE_ID_BYTES];
} weftUniqueId;

WEFT_API weftResult_t weftGetVersion(int* version);

/* Starts a rendezvous server in the calling process (it lives until the process exits) and
 * describes it, with a random job key, in *uniqueId. */
WEFT_API weftResult_t weftGetUniqueId(weftUniqueId* uniqueId);

/* Collective over nranks callers: each passes the same id and its own rank in [0, nranks). */
WEFT_API weftResult_t weftCommInitRank(weftComm_t* comm, int nranks, weftUniqueId commId, int rank);

/* Creates ndev communicators in this process, rank i in comms[i]; each must then be driven by its
 * own thread (collectives on host buffers block the caller). devlist may be NULL (host ranks). */
WEFT_API weftResult_t weftCommInitAll(weftComm_t* comms, int ndev, const int* devlist);

/* Forms the communicator from the environment: WEFT_INIT=tcp://host:port or file:///path, or
 * env:// (MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE), or the
 * variables of Open MPI (OMPI_COMM_WORLD_*) and Slurm (SLURM_PROCID, ...). See docs/env.md. */
WEFT_API weftResult_t weftCommInitFromEnv(weftComm_t* comm);

/* The number of ranks weftCommInitFromEnv would form from this process's environment: the
 * launcher's world size (RANK/WORLD_SIZE, Open MPI, PMI or Slurm variables), 1 when none is set.
 * Lets a program choose between joining a launched job and running thread ranks. */
WEFT_API weftResult_t weftGetEnvWorldSize(int* nranks);

/* This process's rank among the launcher's ranks on its host (LOCAL_RANK, Open MPI's, Slurm's
 * local rank; the rank when the launcher gives none; 0 without a launcher): a program choosing a
 * GPU per rank takes it modulo the device count. */
WEFT_API weftResult_t weftGetEnvLocalRank(int* localRank);

/* Collective over comm (MPI_Comm_split, ncclCommSplit): ranks passing the same non-negative
 * color form a new communicator in *newcomm, ranked by key (ties by their rank in comm); a rank
 * passing WEFT_SPLIT_NOCOLOR (any negative color) takes part and gets NULL. The new communicator
 * is independent of comm (either may be used, or destroyed, without the other). */
#define WEFT_SPLIT_NOCOLOR (-1)
WEFT_API weftResult_t weftCommSplit(weftComm_t comm, int color, int key, weftComm_t* newcomm);

/* Collective over the ranks of comm not in excludeRanks (ncclCommShrink, MPI's MPI_Comm_shrink):
 * every one of them passes the same list and gets, in *newcomm, a communicator of them ranked in
 * their order in comm; excluded ranks do not call it (a failed one cannot). It works after a
 * failure: links to excluded ranks are not used, and messages of failed calls still in flight
 * among the others are dropped. flags: WEFT_SHRINK_DEFAULT waits for calls still queued on comm;
 * WEFT_SHRINK_ABORT ends them first, as weftCommAbort does (without freeing comm, which then
 * refuses further calls). comm stays valid either way and must still be destroyed. */
/* The ranks of comm this rank knows to have failed, in increasing order: their process exited
 * (on this host: seen through its pidfd; elsewhere: its connections closed). Writes at most
 * capacity of them to ranks (which may be NULL when capacity is 0) and their number to *count.
 * A rank that hangs (stopped, cut off) is not listed: its calls end by WEFT_TIMEOUT. Every
 * survivor of a crash sees the same list once the dead processes are gone, which is what
 * weftCommShrink needs (ULFM's MPI_Comm_failure_get_acked plays this part). */
WEFT_API weftResult_t weftCommGetFailedRanks(weftComm_t comm, int* ranks, int capacity, int* count);

#define WEFT_SHRINK_DEFAULT 0
#define WEFT_SHRINK_ABORT 1
WEFT_API weftResult_t weftCommShrink(weftComm_t comm, const int* excludeRanks, int excludeCount, weftComm_t* newcomm,
                                     int flags);

/* Frees the communicator. Not collective; NULL is accepted. */
WEFT_API weftResult_t weftCommDestroy(weftComm_t comm);

/* Aborts and frees the communicator, from any thread (as ncclCommAbort): calls that other threads
 * are running on it give up within about 10 ms with weftInvalidUsage ("aborted"), queued
 * nonblocking calls end with that error, and it returns once no thread is inside a call on it
 * (a group with calls recorded on it counts until its weftGroupEnd returns; docs/api.md),
 * having freed it. Not collective: peers waiting for this rank end by their own timeout or when
 * this process exits. A call that starts on the handle while this runs is a use after free, as
 * with weftCommDestroy. NULL is accepted. */
WEFT_API weftResult_t weftCommAbort(weftComm_t comm);

/* *asyncError = the first error that failed the communicator (a timeout, a lost peer), or
 * weftSuccess while it works; as ncclCommGetAsyncError. A failed communicator refuses further
 * calls; destroy (or abort) it. */
WEFT_API weftResult_t weftCommGetAsyncError(weftComm_t comm, weftResult_t* asyncError);

WEFT_API weftResult_t weftCommCount(const weftComm_t comm, int* count);
WEFT_API weftResult_t weftCommUserRank(const weftComm_t comm, int* rank);

/* recvbuff[i] = op over ranks of sendbuff[i]. In place when sendbuff == recvbuff; other overlap is
 * an error. Blocks until this rank's part is done (host buffers). */
WEFT_API weftResult_t weftAllReduce(const void* sendbuff, void* recvbuff, size_t count,
                                    weftDataType_t datatype, weftRedOp_t op, weftComm_t comm,
                                    weftStream_t stream);

/* Copies root's sendbuff into every rank's recvbuff (sendbuff is read on the root only). */
WEFT_API weftResult_t weftBroadcast(const void* sendbuff, void* recvbuff, size_t count,
                                    weftDataType_t datatype, int root, weftComm_t comm,
                                    weftStream_t stream);

/* recvbuff (on root only; may be NULL elsewhere) = op over ranks of sendbuff. In place when
 * sendbuff == recvbuff on the root. */
WEFT_API weftResult_t weftReduce(const void* sendbuff, void* recvbuff, size_t count,
                                 weftDataType_t datatype, weftRedOp_t op, int root, weftComm_t comm,
                                 weftStream_t stream);

/* Rank i's sendcount elements land at recvbuff + i*sendcount on every rank. In place when
 * sendbuff == recvbuff + rank*sendcount. */
WEFT_API weftResult_t weftAllGather(const void* sendbuff, void* recvbuff, size_t sendcount,
                                    weftDataType_t datatype, weftComm_t comm, weftStream_t stream);

/* Reduces sendbuff (nranks*recvcount elements) over ranks; rank i keeps block i in recvbuff.
 * In place when recvbuff == sendbuff + rank*recvcount. */
WEFT_API weftResult_t weftReduceScatter(const void* sendbuff, void* recvbuff, size_t recvcount,
                                        weftDataType_t datatype, weftRedOp_t op, weftComm_t comm,
                                        weftStream_t stream);

/* Block j of sendbuff (count elements at sendbuff + j*count) goes to rank j; the block from
 * rank i lands at recvbuff + i*count. The buffers may not overlap. */
WEFT_API weftResult_t weftAllToAll(const void* sendbuff, void* recvbuff, size_t count,
                                   weftDataType_t datatype, weftComm_t comm, weftStream_t stream);

/* The root sends sendbuff + i*count to rank i's recvbuff (sendbuff is read on the root only).
 * In place when recvbuff == sendbuff + root*count on the root. */
WEFT_API weftResult_t weftScatter(const void* sendbuff, void* recvbuff, size_t count,
                                  weftDataType_t datatype, int root, weftComm_t comm,
                                  weftStream_t stream);

/* Rank i's sendbuff lands at recvbuff + i*count on the root (recvbuff is used on the root only).
 * In place when sendbuff == recvbuff + root*count on the root. */
WEFT_API weftResult_t weftGather(const void* sendbuff, void* recvbuff, size_t count,
                                 weftDataType_t datatype, int root, weftComm_t comm,
                                 weftStream_t stream);

/* Point to point: peer calls weftRecv with the same count and datatype. A send returns once its
 * data is in the link's buffers (small messages) or received (large ones); a pair of ranks that
 * both send large messages to each other first would wait for each other. */
WEFT_API weftResult_t weftSend(const void* sendbuff, size_t count, weftDataType_t datatype, int peer,
                               weftComm_t comm, weftStream_t stream);
WEFT_API weftResult_t weftRecv(void* recvbuff, size_t count, weftDataType_t datatype, int peer,
                               weftComm_t comm, weftStream_t stream);

/* Returns once every rank has entered the barrier. */
WEFT_API weftResult_t weftBarrier(weftComm_t comm, weftStream_t stream);

/* Nonblocking forms: the same arguments plus *request. The call is checked at once (errors are
 * returned here), then runs on the communicator's progress thread; calls on one communicator run
 * in the order they were made, blocking ones included. Buffers must stay untouched until
 * weftWait returns or weftTest reports done; both free the request and set it to NULL, and
 * return how the call ended. */
WEFT_API weftResult_t weftAllReduceAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, weftRedOp_t op, weftComm_t comm, weftStream_t stream, weftRequest_t* request);
WEFT_API weftResult_t weftBroadcastAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root, weftComm_t comm, weftStream_t stream, weftRequest_t* request);
WEFT_API weftResult_t weftReduceAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, weftRedOp_t op, int root, weftComm_t comm, weftStream_t stream, weftRequest_t* request);
WEFT_API weftResult_t weftAllGatherAsync(const void* sendbuff, void* recvbuff, size_t sendcount, weftDataType_t datatype, weftComm_t comm, weftStream_t stream, weftRequest_t* request);
WEFT_API weftResult_t weftReduceScatterAsync(const void* sendbuff, void* recvbuff, size_t recvcount, weftDataType_t datatype, weftRedOp_t op, weftComm_t comm, weftStream_t stream, weftRequest_t* request);
WEFT_API weftResult_t weftAllToAllAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, weftComm_t comm, weftStream_t stream, weftRequest_t* request);
WEFT_API weftResult_t weftScatterAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root, weftComm_t comm, weftStream_t stream, weftRequest_t* request);
WEFT_API weftResult_t weftGatherAsync(const void* sendbuff, void* recvbuff, size_t count, weftDataType_t datatype, int root, weftComm_t comm, weftStream_t stream, weftRequest_t* request);
WEFT_API weftResult_t weftSendAsync(const void* sendbuff, size_t count, weftDataType_t datatype, int peer, weftComm_t comm, weftStream_t stream, weftRequest_t* request);
WEFT_API weftResult_t weftRecvAsync(void* recvbuff, size_t count, weftDataType_t datatype, int peer, weftComm_t comm, weftStream_t stream, weftRequest_t* request);
WEFT_API weftResult_t weftBarrierAsync(weftComm_t comm, weftStream_t stream, weftRequest_t* request);

/* Blocks until the call is done. */
WEFT_API weftResult_t weftWait(weftRequest_t* request);
/* Sets *done to 1 (and ends the request as weftWait does) if the call is done, else to 0. */
WEFT_API weftResult_t weftTest(weftRequest_t* request, int* done);

/* Calls made between weftGroupStart and weftGroupEnd on one thread are recorded, then run
 * together by weftGroupEnd, which returns when all are done (their requests, if any, complete
 * then too): sends and receives to different peers progress side by side, so a ring of them
 * that would deadlock call by call completes, and one thread may drive the calls of several
 * communicators (e.g. every rank of weftCommInitAll). Groups nest; the outermost end runs them. */
WEFT_API weftResult_t weftGroupStart(void);
WEFT_API weftResult_t weftGroupEnd(void);

/* Host memory that peer processes on this host can map (as ncclMemAlloc): collectives whose
 * buffers lie in it on every rank load peers' data where it lies, one copy instead of two
 * ("shared" algorithms, docs/api.md). *ptr is 4096-byte aligned and zero-filled; size 0 gives
 * NULL; each buffer holds a file descriptor. Any buffer may be passed to any call; this one is
 * only faster. */
WEFT_API weftResult_t weftMemAlloc(void** ptr, size_t size);
/* Frees memory from weftMemAlloc; NULL is accepted. Peers that mapped it keep their mapping (and
 * the memory) until their communicator is destroyed. */
WEFT_API weftResult_t weftMemFree(void* ptr);

/* A static string naming the code. */
WEFT_API const char* weftGetErrorString(weftResult_t result);

/* The message of the last failed call made by this thread (comm may be NULL); "" when none. */
WEFT_API const char* weftGetLastError(weftComm_t comm);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_H_ */
