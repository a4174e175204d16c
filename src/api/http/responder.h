#pragma once
// Builds the Responder handed to the RequestHandler for one request.

#include <functional>
#include <memory>

#include "api/http/http_types.h"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace shoal::api::transport {

// The returned Responder may be called from any thread. It posts `deliver(response)` to
// `io_context`, never runs it inline, so a handler answering inside Handle() cannot re-enter
// the connection. Semantics:
//  - only the first call delivers; later calls are dropped with a warning;
//  - if every copy is destroyed without a call, a 500 is delivered (and a warning logged),
//    so an HTTP/1.1 connection is not left waiting forever;
//  - `deliver` typically owns a shared_ptr to the connection, which must drop the response
//    when it has closed in the meantime.
// The Responder keeps `io_context` alive (not running) so posting stays valid after the
// server has stopped; the posted work is then destroyed unrun.
// REQUIRES: io_context != nullptr.
Responder MakeResponder(std::shared_ptr<boost::asio::io_context> io_context,
                        std::function<void(HttpResponse)> deliver);

}  // namespace shoal::api::transport
