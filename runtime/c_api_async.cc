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
    // Note [Stream-ordered calls]: enqueued on the stream now, run by the progress thread (or
    // the group) later; the call returns at once, with or without a request.
    runtime::Communicator::StreamCall call = c.stageOnStream(args, stream, request != nullptr);
    std::shared_ptr<runtime::Work> work = call.work;
    try {
      if (runtime::groupDepth() > 0) {
        runtime::threadGroup().add(c, call.host, work, std::move(call.ready), std::move(call.out));
      } else {
        call.out();
        c.submit(call.host, std::move(call.ready), work);
      }
    } catch (...) {
      work->complete(std::current_exception());  // the stream must not wait for it
      throw;
    }
    if (request) *request = new weftRequest{std::move(work)};
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
  owned->work->wait(-1);
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
