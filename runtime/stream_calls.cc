// SPDX-License-Identifier: Apache-2.0
// The communicator's calls on streams (Note [Stream-ordered calls] in runtime/device_calls.cc):
// the checks, the pieces of a large call, and the Work of the whole call.
#include <algorithm>
#include <mutex>

#include "collectives/footprint.h"
#include "collectives/kernels/dtype.h"
#include "runtime/communicator.h"
#include "runtime/device_calls.h"

namespace weft::runtime {
namespace {

// The first buffer the call uses that is not in `where` ("sendbuff", "recvbuff"), or nullptr.
const char* bufferNotIn(device::Runtime& rt, const coll::Footprint& f, device::Memory where) {
  if (f.in != nullptr && rt.memoryOf(f.in) != where) return "sendbuff";
  if (f.out != nullptr && rt.memoryOf(f.out) != where) return "recvbuff";
  return nullptr;
}

// Note [Stream pieces]: an all-reduce, broadcast or reduce of at least two pieces runs as pieces
// of kPieceBytes, each staged and run as its own call, so that the stream copies piece k+1 to the
// host while the host runs piece k, and copies piece k back while the host runs piece k+1 (the
// staging's double buffering). Every rank cuts a call alike, from its count and datatype alone;
// so, as with NCCL and Gloo, the ranks of one call all use device buffers or all host buffers.
// The other collectives are not cut (their pieces would be strided) and run whole.
constexpr size_t kPieceBytes = size_t(8) << 20;

std::vector<coll::CollArgs> piecesOf(const coll::CollArgs& args) {
  const bool elementwise = args.kind == coll::CollKind::AllReduce || args.kind == coll::CollKind::Broadcast ||
                           args.kind == coll::CollKind::Reduce;
  const size_t element = coll::dtypeSize(args.dtype);
  const size_t per = kPieceBytes / element;
  if (!elementwise || args.count < 2 * per) return {args};
  std::vector<coll::CollArgs> pieces;
  for (size_t at = 0; at < args.count; at += per) {
    coll::CollArgs p = args;
    p.count = std::min(per, args.count - at);
    if (args.send != nullptr) p.send = static_cast<const std::byte*>(args.send) + at * element;
    if (args.recv != nullptr) p.recv = static_cast<std::byte*>(args.recv) + at * element;
    pieces.push_back(p);
  }
  return pieces;
}

// The Work of a call run as pieces: complete when every piece is, with the first piece's error.
struct Whole {
  std::mutex mu;
  size_t left;
  std::exception_ptr first;  // guarded by mu
  std::shared_ptr<Work> work = std::make_shared<Work>();

  explicit Whole(size_t pieces) : left(pieces) {}
  void pieceDone(std::exception_ptr e) {
    std::exception_ptr done;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (e && !first) first = e;
      if (--left > 0) return;
      done = first;
    }
    work->complete(done);
  }
};

}  // namespace

device::Runtime& Communicator::streamRuntime(const coll::CollArgs& args, void* stream) {
  device::Runtime* rt = device::runtime();
  if (rt == nullptr) {
    throw InvalidArgument("a stream was given, but this weft was built without CUDA (nvcc was not found): "
                          "host buffers take a NULL stream");
  }
  if (!rt->usable()) {
    throw InvalidArgument("a stream was given, but no GPU can be used here (no device, or no driver): host "
                          "buffers take a NULL stream");
  }
  if (rt->capturing(stream)) {
    // A graph would replay the call's enqueued work with the counters, tickets and staging of
    // the one capture (and the host's part would run once): not supported yet.
    throw InvalidUsage("the stream is being captured into a CUDA graph, which weft's calls do not support yet: make "
                       "the call outside the capture");
  }
  noteStreamsUsed();
  refuseIfFailed();  // at once, as a host call would be, rather than through the request
  const coll::Footprint f = coll::footprint(args, rank_, size_);
  if (const char* host = bufferNotIn(*rt, f, device::Memory::Device)) {
    throw InvalidArgument(std::string(host) + " is host memory, but a stream was given: a call's buffers are all "
                          "device memory, with a stream, or all host memory, with NULL");
  }
  return *rt;
}

Communicator::StreamCalls Communicator::stageOnStream(const coll::CollArgs& args, void* stream, bool landing) {
  device::Runtime* rt = &streamRuntime(args, stream);
  if (!device_) device_ = std::make_unique<DeviceCalls>(*rt, config_.wait, config_.timeoutSeconds);
  const std::vector<coll::CollArgs> pieces = piecesOf(args);
  std::shared_ptr<Whole> whole = pieces.size() > 1 ? std::make_shared<Whole>(pieces.size()) : nullptr;
  StreamCalls calls;
  try {
    for (size_t i = 0; i < pieces.size(); ++i) {
      // Only the last piece's copies back need watching: the stream orders the others before it.
      const bool last = i + 1 == pieces.size();
      DeviceCalls::Staged staged =
          device_->stage(pieces[i], coll::footprint(pieces[i], rank_, size_), stream, landing && last);
      StreamCall& call = calls.pieces.emplace_back(
          StreamCall{staged.host, std::move(staged.ready), std::move(staged.out), std::make_shared<Work>()});
      call.work->onComplete([release = std::move(staged.release), whole](std::exception_ptr e) {
        release();
        if (whole) whole->pieceDone(e);
      });
      if (staged.landed) (whole ? whole->work : call.work)->landedWhen(std::move(staged.landed));
    }
  } catch (...) {
    // The pieces staged so far hold tickets that later calls' streams wait for.
    for (StreamCall& call : calls.pieces) call.work->complete(std::current_exception());
    throw;
  }
  calls.whole = whole ? whole->work : calls.pieces.front().work;
  return calls;
}

void Communicator::checkHostBuffers(const coll::CollArgs& args) const {
  if (!streamsUsed()) return;
  device::Runtime* rt = device::runtime();
  if (rt == nullptr || !rt->usable()) return;
  if (const char* dev = bufferNotIn(*rt, coll::footprint(args, rank_, size_), device::Memory::Host)) {
    throw InvalidArgument(std::string(dev) + " is device memory, but the stream is NULL, which means host "
                          "buffers: pass the stream the buffers are used on (cudaStreamLegacy for the default "
                          "stream)");
  }
}

}  // namespace weft::runtime
