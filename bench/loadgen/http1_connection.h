#pragma once
// HTTP/1.1 keep-alive client connection with pipelining: calls are written in submission order
// (several per write when queued together) and matched to responses in order. Bodies with a
// Content-Length are read straight into the call's buffer; chunked bodies are decoded.

#include <memory>

#include "connection.h"

namespace shoal::loadgen {

std::unique_ptr<Connection> MakeHttp1Connection(boost::asio::io_context& io,
                                                const Endpoint& endpoint, Signer& signer,
                                                const ConnectionOptions& options);

}  // namespace shoal::loadgen
