#pragma once
// The operations shoal serves: name, input shape, and the function that binds a validated
// body to a typed request, calls the service and writes the result.

#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string_view>

#include "api/codec/value.h"
#include "api/codec/writer.h"
#include "api/errors.h"
#include "api/shape.h"
#include "api/http/http_types.h"
#include "service/data_plane.h"
#include "service/fanout/fan_out.h"
#include "service/stream_service.h"
#include "service/throttle/request_limiter.h"

namespace shoal::api {

// What an operation handler may use.
struct Services {
  service::StreamService& streams;
  service::DataPlane& data;
  // Control-plane rate limits; nullptr: none.
  service::RequestLimiter* rates = nullptr;
  // Enhanced fan-out (SubscribeToShard); nullptr: not served.
  service::FanOut* fanout = nullptr;
};

// Writes a streaming operation's response body once the transport has sent the headers.
using StreamProducer = std::function<void(std::shared_ptr<BodySink>)>;

// Completes an asynchronous operation: an error, or the output body (empty for operations
// without output). Runs exactly once, on any thread.
using AsyncDone = std::function<void(std::optional<WireError> error, std::string body)>;

struct Operation {
  std::string_view name;
  // Operations without modeled output answer 200 with an empty body (as AWS does).
  bool has_output;
  // Synchronous operations: binds `body` (validated against InputShape(name)), runs the
  // operation on a worker thread and, on success, writes the output (when has_output) to `out`.
  std::optional<WireError> (*run)(const Value& body, Format format, Services& services,
                                  Writer& out) = nullptr;
  // Asynchronous operations (those that wait for durability): called on the I/O thread, must
  // not block; `body` stays alive until `done` has run.
  void (*run_async)(std::shared_ptr<Value> body, Format format, Services& services,
                    AsyncDone done) = nullptr;
  // Optional fast path for JSON bodies (asynchronous operations only): returns false, having
  // done nothing, when the body is not one it handles; the general path then runs.
  bool (*run_json_fast)(std::string_view body, Services& services, AsyncDone done) = nullptr;
  // Streaming operations (SubscribeToShard): runs on a worker thread; an error (answered as a
  // normal error response), or the producer of the event stream, set in `out`.
  std::optional<WireError> (*run_stream)(const Value& body, Format format, Services& services,
                                         StreamProducer* out) = nullptr;
};

// nullptr for an operation shoal does not serve.
const Operation* FindOperation(std::string_view name);

// The operation tables of each group (control_plane_ops.cc, consumer_ops.cc,
// data_plane_ops.cc, subscribe_op.cc).
std::span<const Operation> ControlPlaneOperations();
std::span<const Operation> ConsumerOperations();
std::span<const Operation> DataPlaneOperations();
std::span<const Operation> StreamingOperations();

}  // namespace shoal::api
