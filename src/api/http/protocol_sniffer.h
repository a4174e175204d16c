#pragma once
// First stage of every accepted connection: reads until the bytes either are the 24-byte
// HTTP/2 client preface ("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", RFC 9113 section 3.4) or
// cannot be, then hands the stream and the bytes read so far to an Http2Session or an
// Http1Connection. Nothing is lost: those bytes are fed to the chosen protocol first.

#include "api/http/connection.h"

namespace shoal::api::transport {

// Takes ownership of the accepted `stream` and starts sniffing on the stream's executor.
// Thread-safe; returns immediately. Instantiated for TcpSocket (stream_ops.h).
template <class Stream>
void StartProtocolSniffer(Stream stream, ConnectionContext ctx);

}  // namespace shoal::api::transport
