#pragma once
// The Kinesis protocol edge: turns HTTP requests into operation calls and results into
// HTTP responses (JSON 1.1 or CBOR, mirroring the request), in the order of checks the
// Kinesis frontend uses: method → content type → target → body → auth → types →
// constraints → operation.

#include <memory>

#include "api/http/http_types.h"
#include "api/operations.h"
#include "common/clock.h"

namespace shoal::api {

class KinesisHandler final : public RequestHandler {
 public:
  // `services` and `clock` must outlive the handler. Operations run on `worker_threads`
  // threads of their own, never on the transport's I/O threads (they may sync to disk).
  KinesisHandler(Services services, Clock& clock, int worker_threads);
  ~KinesisHandler() override;  // Stops.

  void Handle(HttpRequest request, Responder respond) override;

  // Finishes queued requests and joins the workers. Idempotent.
  void Stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace shoal::api
