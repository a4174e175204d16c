#pragma once
// Header-name helpers shared by the HTTP/1.1 and HTTP/2 connections.

#include <string>
#include <string_view>

namespace shoal::api::transport {

// ASCII lowercase copy.
std::string AsciiLower(std::string_view s);

// True (case-insensitively) for response headers the transport sets itself or that are
// connection-specific and must never be sent over HTTP/2 (RFC 9113 section 8.2.2):
// connection, keep-alive, proxy-connection, transfer-encoding, upgrade, te, content-length.
// Such headers from the handler are dropped by both connection kinds.
bool IsTransportOwnedHeader(std::string_view name);

// RFC 9110: 1xx, 204 and 304 responses carry no body; 1xx and 204 no Content-Length.
inline bool StatusAllowsBody(int status) {
  return status >= 200 && status != 204 && status != 304;
}

}  // namespace shoal::api::transport
