#include "subscription.h"

#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include <charconv>

namespace shoal::loadgen {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

constexpr size_t kReadBuffer = 64 * 1024;
constexpr size_t kMaxHead = 64 * 1024;
constexpr std::string_view kTarget = "Kinesis_20131202.SubscribeToShard";

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The `__type` of a JSON error body, cleaned like ErrorOf() does; "" when absent.
std::string JsonErrorType(const std::string& body) {
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body).get(doc)) return {};
  std::string_view type;
  if (doc["__type"].get_string().get(type)) return {};
  if (auto c = type.find(':'); c != std::string_view::npos) type = type.substr(0, c);
  if (auto h = type.rfind('#'); h != std::string_view::npos) type = type.substr(h + 1);
  return std::string(type);
}

}  // namespace

ChunkedDecoder::Status ChunkedDecoder::Feed(std::string_view in, std::string& out) {
  while (!in.empty() && state_ != State::kDone && state_ != State::kError) {
    switch (state_) {
      case State::kSize:
      case State::kTrailer:
      case State::kDataEnd: {
        size_t eol = in.find('\n');
        line_.append(in.substr(0, eol == std::string_view::npos ? in.size() : eol));
        if (eol == std::string_view::npos) {
          if (line_.size() > 4096) state_ = State::kError;
          in = {};
          break;
        }
        in.remove_prefix(eol + 1);
        std::string_view line = Trim(line_);
        if (state_ == State::kDataEnd) {
          state_ = line.empty() ? State::kSize : State::kError;
        } else if (state_ == State::kTrailer) {
          if (line.empty()) state_ = State::kDone;
        } else {
          if (auto semi = line.find(';'); semi != std::string_view::npos) line = Trim(line.substr(0, semi));
          auto [p, e] = std::from_chars(line.data(), line.data() + line.size(), left_, 16);
          if (line.empty() || e != std::errc() || p != line.data() + line.size()) {
            state_ = State::kError;
          } else {
            state_ = left_ == 0 ? State::kTrailer : State::kData;
          }
        }
        line_.clear();
        break;
      }
      case State::kData: {
        size_t take = std::min(left_, in.size());
        out.append(in.substr(0, take));
        in.remove_prefix(take);
        left_ -= take;
        if (left_ == 0) state_ = State::kDataEnd;
        break;
      }
      case State::kDone:
      case State::kError:
        break;
    }
  }
  if (state_ == State::kError) return Status::kError;
  return state_ == State::kDone ? Status::kDone : Status::kMore;
}

Subscription::Subscription(asio::io_context& io, const Endpoint& endpoint, const Credentials& creds,
                           bool sign)
    : io_(io), endpoint_(endpoint), signer_(creds, endpoint.authority, sign), sock_(io),
      rbuf_(std::make_unique<char[]>(kReadBuffer)) {}

Subscription::~Subscription() { Close(); }

void Subscription::Close() {
  if (state_ == State::kConnecting || state_ == State::kWaitingHead || state_ == State::kStreaming) {
    state_ = State::kEnded;
  }
  ++gen_;
  error_code ignored;
  sock_.close(ignored);
}

void Subscription::Start(std::string body, OnMessage on_message, OnEnd on_end) {
  Close();
  on_message_ = std::move(on_message);
  on_end_ = std::move(on_end);
  state_ = State::kConnecting;
  status_ = 0;
  error_.clear();
  error_header_.clear();
  head_.clear();
  body_.clear();
  chunks_ = ChunkedDecoder();
  events_ = EventStreamDecoder();
  std::string amz_date, authorization;
  signer_.Sign(kTarget, body, nullptr, amz_date, authorization);
  request_ = fmt::format(
      "POST / HTTP/1.1\r\nHost: {}\r\nUser-Agent: shoal-loadgen\r\n"
      "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: {}\r\n"
      "X-Amz-Date: {}\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n{}",
      endpoint_.authority, kTarget, amz_date, authorization, body.size(), body);
  sock_ = asio::ip::tcp::socket(io_);
  uint64_t gen = gen_;
  sock_.async_connect(endpoint_.address, [this, gen, alive = std::weak_ptr<char>(alive_)](error_code ec) {
    if (alive.expired() || gen != gen_) return;
    if (ec) return Finish(State::kFailed, std::string(TransportErrorName(TransportError::kConnect)));
    OnConnected();
  });
}

void Subscription::OnConnected() {
  error_code ignored;
  sock_.set_option(asio::ip::tcp::no_delay(true), ignored);
  state_ = State::kWaitingHead;
  uint64_t gen = gen_;
  asio::async_write(sock_, asio::buffer(request_), [this, gen, alive = std::weak_ptr<char>(alive_)](error_code ec, size_t) {
    if (alive.expired() || gen != gen_) return;
    if (ec) Finish(State::kFailed, std::string(TransportErrorName(TransportError::kIo)));
  });
  Read();
}

void Subscription::Read() {
  uint64_t gen = gen_;
  sock_.async_read_some(asio::buffer(rbuf_.get(), kReadBuffer), [this, gen, alive = std::weak_ptr<char>(alive_)](error_code ec, size_t n) {
    if (alive.expired() || gen != gen_) return;
    if (ec) {
      // The server ended the stream: fine after a 200 (subscriptions are time-limited).
      if (state_ == State::kStreaming && !chunked_ && content_left_ == 0) return Finish(State::kEnded, {});
      return Finish(State::kFailed, std::string(TransportErrorName(TransportError::kIo)));
    }
    OnBytes(std::string_view(rbuf_.get(), n));
    if (!alive.expired() && gen == gen_ && (state_ == State::kWaitingHead || state_ == State::kStreaming)) Read();
  });
}

void Subscription::OnBytes(std::string_view in) {
  if (state_ == State::kWaitingHead) {
    size_t old = head_.size();
    head_.append(in);
    size_t end = head_.find("\r\n\r\n", old >= 3 ? old - 3 : 0);
    if (end == std::string::npos) {
      if (head_.size() > kMaxHead) Finish(State::kFailed, "ProtocolError");
      return;
    }
    std::string rest = head_.substr(end + 4);
    head_.resize(end + 2);
    if (!ParseHead()) return Finish(State::kFailed, "ProtocolError");
    state_ = State::kStreaming;
    if (!rest.empty()) OnBytes(rest);
    return;
  }
  if (state_ != State::kStreaming) return;
  if (chunked_) {
    std::string data;
    auto st = chunks_.Feed(in, data);
    if (st == ChunkedDecoder::Status::kError) return Finish(State::kFailed, "ProtocolError");
    DeliverBody(data);
    if (st == ChunkedDecoder::Status::kDone && state_ == State::kStreaming) {
      Finish(status_ == 200 ? State::kEnded : State::kFailed, error_);
    }
    return;
  }
  size_t take = std::min(content_left_, in.size());
  DeliverBody(in.substr(0, take));
  content_left_ -= take;
  if (content_left_ == 0 && state_ == State::kStreaming) {
    Finish(status_ == 200 ? State::kEnded : State::kFailed, error_);
  }
}

bool Subscription::ParseHead() {
  if (head_.size() < 12 || !head_.starts_with("HTTP/1.")) return false;
  auto [p, e] = std::from_chars(head_.data() + 9, head_.data() + 12, status_);
  if (e != std::errc()) return false;
  chunked_ = false;
  content_left_ = 0;
  std::string_view h(head_);
  size_t pos = h.find("\r\n") + 2;
  while (pos < h.size()) {
    size_t eol = h.find("\r\n", pos);
    if (eol == std::string_view::npos) eol = h.size();
    std::string_view line = h.substr(pos, eol - pos);
    pos = eol + 2;
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view name = line.substr(0, colon);
    std::string_view value = Trim(line.substr(colon + 1));
    if (IEquals(name, "transfer-encoding")) {
      chunked_ = value.find("chunked") != std::string_view::npos;
    } else if (IEquals(name, "content-length")) {
      std::from_chars(value.data(), value.data() + value.size(), content_left_);
    } else if (IEquals(name, "x-amzn-errortype")) {
      error_header_.assign(value);
    }
  }
  if (status_ != 200) {
    error_ = error_header_.empty() ? fmt::format("HTTP {}", status_) : std::string(error_header_);
    if (auto c = error_.find(':'); c != std::string::npos) error_.resize(c);
    if (auto hash = error_.rfind('#'); hash != std::string::npos) error_.erase(0, hash + 1);
  }
  if (!chunked_ && content_left_ == 0) {
    // No body: an error answer ends here; a 200 without a streamed body is unusable.
    state_ = State::kStreaming;
    Finish(status_ == 200 ? State::kEnded : State::kFailed, error_);
  }
  return true;
}

void Subscription::DeliverBody(std::string_view data) {
  if (data.empty()) return;
  if (status_ != 200) {
    body_.append(data);
    if (error_header_.empty()) {
      if (std::string t = JsonErrorType(body_); !t.empty()) error_ = t;
    }
    return;
  }
  auto arrival = SteadyClock::now();
  events_.Feed(data);
  EventMessage m;
  while (events_.Next(m)) {
    on_message_(m, arrival);
    if (state_ != State::kStreaming) return;  // the callback closed us
  }
  if (events_.failed()) Finish(State::kFailed, "EventStream:" + events_.error());
}

void Subscription::Finish(State s, std::string error) {
  if (state_ == State::kEnded || state_ == State::kFailed) return;
  state_ = s;
  if (!error.empty() || s == State::kFailed) error_ = error.empty() ? "ProtocolError" : std::move(error);
  Close();
  if (on_end_) {
    auto cb = std::move(on_end_);
    on_end_ = nullptr;
    cb();
  }
}

}  // namespace shoal::loadgen
