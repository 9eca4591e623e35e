// SPDX-License-Identifier: Apache-2.0
// The extern "C" nonblocking and group machinery: requests, weftWait/weftTest, groups.
#include "runtime/c_api_support.h"
#include "runtime/group.h"
#include "runtime/weft.h"

using weft::InvalidArgument;
using namespace weft::capi;

namespace weft::capi {

void dispatch(runtime::Communicator& c, const coll::CollArgs& args, weftRequest_t* request, weftStream_t stream) {
  if (stream != nullptr) {
    // Note [Device link]: the device ring's calls are launched on the stream now.
    if (std::shared_ptr<runtime::Work> work = c.launchOnDevice(args, stream)) {
      if (request) *request = new weftRequest{std::move(work)};
      return;
    }
    // Note [Stream-ordered calls]: enqueued on the stream now, run by the progress thread (or
    // the group) later; the call returns at once, with or without a request.
    runtime::Communicator::StreamCalls calls = c.stageOnStream(args, stream, request != nullptr);
    size_t handed = 0;  // pieces whose Work the progress thread or the group now owes
    try {
      if (runtime::groupDepth() > 0) {
        for (auto& p : calls.pieces) {
          runtime::threadGroup().add(c, p.host, p.work, std::move(p.ready), std::move(p.out));
          ++handed;
        }
      } else {
        for (auto& p : calls.pieces) p.out();  // every copy in before any wait (Note [Stream pieces])
        for (auto& p : calls.pieces) {
          c.submit(p.host, std::move(p.ready), p.work);
          ++handed;
        }
      }
    } catch (...) {
      // The stream must not wait for the pieces nobody will run.
      for (size_t i = handed; i < calls.pieces.size(); ++i) calls.pieces[i].work->complete(std::current_exception());
      throw;
    }
    if (request) *request = new weftRequest{std::move(calls.whole)};
    return;
  }
  c.checkHostBuffers(args);
  if (runtime::groupDepth() > 0) {
    auto work = std::make_shared<runtime::Work>();
    runtime::threadGroup().add(c, args, work);
    if (request) *request = new weftRequest{std::move(work)};
    return;
  }
  if (request) {
    *request = new weftRequest{c.submit(args)};
    return;
  }
  c.run(args);
}

weftRequest_t* checkedRequest(weftRequest_t* request) {
  if (!request) throw InvalidArgument("request is NULL");
  *request = nullptr;
  return request;
}

}  // namespace weft::capi

namespace {

// Frees the request and returns (rethrows) how its collective ended.
void release(weftRequest_t* request) {
  std::unique_ptr<weftRequest> owned(*request);
  *request = nullptr;
  try {
    owned->work->wait(-1);
  } catch (const weft::Error& e) {
    // A copy, made while the request still holds the Work: the thread that completed it may drop
    // the last reference to the original (and so free it) as soon as this one lets go, and the
    // caller reads the message after that.
    throw weft::Error(e.code(), e.what(), e.about());
  }
}

weftRequest_t& checkedHandle(weftRequest_t* request) {
  if (!request || !*request) throw InvalidArgument("request is NULL (already completed?)");
  return *request;
}

}  // namespace

extern "C" {

weftResult_t weftWait(weftRequest_t* request) {
  return guarded(__func__, [&] {
    checkedHandle(request);
    if (weft::runtime::groupDepth() > 0) throw weft::InvalidUsage("weftWait inside a group would wait forever: call weftGroupEnd first");
    release(request);
  });
}

weftResult_t weftTest(weftRequest_t* request, int* done) {
  return guarded(__func__, [&] {
    if (!done) throw InvalidArgument("done is NULL");
    *done = 0;
    weftRequest_t& r = checkedHandle(request);
    if (!r->work->isCompleted()) return;
    *done = 1;
    release(request);
  });
}

weftResult_t weftGroupStart(void) {
  return guarded(__func__, [&] { ++weft::runtime::groupDepth(); });
}

weftResult_t weftGroupEnd(void) {
  return guarded(__func__, [&] {
    int& depth = weft::runtime::groupDepth();
    if (depth == 0) throw weft::InvalidUsage("weftGroupEnd without weftGroupStart");
    if (--depth == 0) weft::runtime::threadGroup().run();
  });
}

}  // extern "C"
