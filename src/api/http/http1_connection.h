#pragma once
// HTTP/1.1 over one stream (Boost.Beast): keep-alive by default, pipelined requests served
// one at a time in order, "Expect: 100-continue", a body limit, an idle timeout and a
// lingering close. The state machine is documented on Http1Connection in the .cc.

#include <string>

#include "api/http/connection.h"

namespace shoal::api::transport {

// Takes ownership of `stream` and of `preread` (bytes already read from it, parsed first),
// registers the connection in ctx.registry and serves it on the stream's executor.
// Thread-safe; returns immediately. Instantiated for TcpSocket and TlsStream (stream_ops.h).
template <class Stream>
void StartHttp1Connection(Stream stream, std::string preread, ConnectionContext ctx);

}  // namespace shoal::api::transport
