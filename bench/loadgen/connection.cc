#include "connection.h"

#include <boost/asio/ip/tcp.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>

#include "h2_connection.h"
#include "http1_connection.h"

namespace shoal::loadgen {

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kPutRecord: return "PutRecord";
    case Op::kPutRecords: return "PutRecords";
    case Op::kGetShardIterator: return "GetShardIterator";
    case Op::kGetRecords: return "GetRecords";
    case Op::kCreateStream: return "CreateStream";
    case Op::kDeleteStream: return "DeleteStream";
    case Op::kDescribeStreamSummary: return "DescribeStreamSummary";
    case Op::kListShards: return "ListShards";
    case Op::kListStreams: return "ListStreams";
    case Op::kDescribeLimits: return "DescribeLimits";
    case Op::kRegisterStreamConsumer: return "RegisterStreamConsumer";
    case Op::kDescribeStreamConsumer: return "DescribeStreamConsumer";
    case Op::kSubscribeToShard: return "SubscribeToShard";
  }
  return "?";
}

std::string_view OpTarget(Op op) {
  switch (op) {
    case Op::kPutRecord: return "Kinesis_20131202.PutRecord";
    case Op::kPutRecords: return "Kinesis_20131202.PutRecords";
    case Op::kGetShardIterator: return "Kinesis_20131202.GetShardIterator";
    case Op::kGetRecords: return "Kinesis_20131202.GetRecords";
    case Op::kCreateStream: return "Kinesis_20131202.CreateStream";
    case Op::kDeleteStream: return "Kinesis_20131202.DeleteStream";
    case Op::kDescribeStreamSummary: return "Kinesis_20131202.DescribeStreamSummary";
    case Op::kListShards: return "Kinesis_20131202.ListShards";
    case Op::kListStreams: return "Kinesis_20131202.ListStreams";
    case Op::kDescribeLimits: return "Kinesis_20131202.DescribeLimits";
    case Op::kRegisterStreamConsumer: return "Kinesis_20131202.RegisterStreamConsumer";
    case Op::kDescribeStreamConsumer: return "Kinesis_20131202.DescribeStreamConsumer";
    case Op::kSubscribeToShard: return "Kinesis_20131202.SubscribeToShard";
  }
  return "?";
}

std::string_view TransportErrorName(TransportError e) {
  switch (e) {
    case TransportError::kNone: return "none";
    case TransportError::kConnect: return "ConnectError";
    case TransportError::kIo: return "ConnectionError";
    case TransportError::kTimeout: return "Timeout";
    case TransportError::kProtocol: return "ProtocolError";
    case TransportError::kReset: return "StreamReset";
    case TransportError::kShutdown: return "Shutdown";
  }
  return "?";
}

void Buffer::Reserve(size_t n) {
  if (n <= capacity_) return;
  size_t cap = std::max(n, capacity_ * 2);
  cap = std::max<size_t>(cap, 4096);
  auto fresh = std::make_unique<char[]>(cap + kPadding);
  if (size_) std::memcpy(fresh.get(), data_.get(), size_);
  std::memset(fresh.get() + cap, 0, kPadding);
  data_ = std::move(fresh);
  capacity_ = cap;
}

char* Buffer::Extend(size_t n) {
  Reserve(size_ + n);
  char* p = data_.get() + size_;
  size_ += n;
  return p;
}

void Buffer::Append(const char* p, size_t n) {
  if (n == 0) return;
  std::memcpy(Extend(n), p, n);
}

void Buffer::Resize(size_t n) {
  Reserve(n);
  size_ = n;
}

std::string ResolveEndpoint(const std::string& url, Endpoint& out) {
  std::string_view rest = url;
  if (rest.starts_with("http://")) {
    rest.remove_prefix(7);
  } else if (rest.starts_with("https://")) {
    return "https endpoints are not supported (plain HTTP/1.1 and h2c only)";
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) rest = rest.substr(0, slash);
  std::string_view host = rest;
  uint16_t port = 80;
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos && rest.find(']') == std::string_view::npos) {
    host = rest.substr(0, colon);
    std::string_view p = rest.substr(colon + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), port);
    if (ec != std::errc() || ptr != p.data() + p.size()) return "bad port in endpoint " + url;
  }
  if (host.empty()) return "no host in endpoint " + url;
  out.host = std::string(host);
  out.port = port;
  out.authority = std::string(rest);
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto results = resolver.resolve(out.host, std::to_string(port), ec);
  if (ec || results.empty()) return "cannot resolve " + out.host + ": " + ec.message();
  out.address = results.begin()->endpoint();
  return {};
}

std::unique_ptr<Connection> MakeConnection(boost::asio::io_context& io, const Endpoint& endpoint,
                                           Signer& signer, const ConnectionOptions& options) {
  if (options.protocol == Protocol::kH2) return MakeH2Connection(io, endpoint, signer, options);
  return MakeHttp1Connection(io, endpoint, signer, options);
}

}  // namespace shoal::loadgen
