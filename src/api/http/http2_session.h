#pragma once
// HTTP/2 server session over one stream (nghttp2, cleartext with prior knowledge): many
// concurrent streams, flow control, GOAWAY on close_connection / Shutdown() / idle timeout.
// Details on Http2Session in the .cc.

#include <string>

#include "api/http/connection.h"

namespace shoal::api::transport {

// Takes ownership of `stream` and of `preread` (bytes already read from it, starting with
// the client preface, fed to nghttp2 first), registers the session in ctx.registry and
// serves it on the stream's executor. Thread-safe; returns immediately. Instantiated for
// TcpSocket (stream_ops.h).
template <class Stream>
void StartHttp2Session(Stream stream, std::string preread, ConnectionContext ctx);

}  // namespace shoal::api::transport
