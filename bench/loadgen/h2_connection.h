#pragma once
// HTTP/2 cleartext (prior knowledge) client connection on nghttp2: many concurrent streams on
// one TCP connection. Request bodies go to the socket without being copied into nghttp2
// (NGHTTP2_DATA_FLAG_NO_COPY); the frames of many streams share one gathered write.

#include <memory>

#include "connection.h"

namespace shoal::loadgen {

std::unique_ptr<Connection> MakeH2Connection(boost::asio::io_context& io,
                                             const Endpoint& endpoint, Signer& signer,
                                             const ConnectionOptions& options);

}  // namespace shoal::loadgen
