#include "http1_connection.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>
#include <span>
#include <vector>

namespace shoal::loadgen {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using asio::ip::tcp;

constexpr size_t kReadBuffer = 256 * 1024;
constexpr size_t kMaxHead = 64 * 1024;
constexpr size_t kMaxCallsPerWrite = 64;

bool IEquals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// One connection's state machine:
//   kDisconnected --Submit--> kConnecting --connected--> kConnected --error/close--> kDisconnected
// Calls move queued_ -> inflight_ (when their bytes are handed to a write) -> completed_ (when
// their response has been read or the connection failed), and are resumed from completed_ only
// at the end of an I/O handler, so a resumed coroutine may Submit again without re-entering the
// parser. `gen_` changes on every drop; handlers of an older generation do nothing.
class Http1Connection final : public Connection {
 public:
  Http1Connection(asio::io_context& io, const Endpoint& endpoint, Signer& signer)
      : io_(io), ep_(endpoint), signer_(signer), sock_(io),
        rbuf_(std::make_unique<char[]>(kReadBuffer)) {}

  ~Http1Connection() override {
    error_code ec;
    sock_.close(ec);
  }

  void Submit(Call* call) override {
    signer_.Sign(OpTarget(call->op), call->body, call->body_sha256, call->amz_date,
                 call->authorization);
    call->head.clear();
    fmt::format_to(std::back_inserter(call->head),
                   "POST / HTTP/1.1\r\nHost: {}\r\nUser-Agent: shoal-loadgen\r\n"
                   "Content-Type: application/x-amz-json-1.1\r\nX-Amz-Target: {}\r\n"
                   "X-Amz-Date: {}\r\nAuthorization: {}\r\nContent-Length: {}\r\n\r\n",
                   ep_.authority, OpTarget(call->op), call->amz_date, call->authorization,
                   call->body.size());
    queued_.push_back(call);
    if (state_ == State::kDisconnected) {
      StartConnect();
    } else if (state_ == State::kConnected) {
      MaybeWrite();
    }
  }

  void CheckTimeouts(SteadyClock::time_point now, std::chrono::nanoseconds timeout) override {
    bool expired = (!inflight_.empty() && now - inflight_.front()->start > timeout) ||
                   (!queued_.empty() && now - queued_.front()->start > timeout);
    if (!expired) return;
    Drop(TransportError::kTimeout, /*fail_queued=*/true);
    ResumeCompleted();
  }

  void Close() override {
    Drop(TransportError::kShutdown, /*fail_queued=*/true);
    ResumeCompleted();
  }

  size_t outstanding() const override { return queued_.size() + inflight_.size(); }

 private:
  enum class State { kDisconnected, kConnecting, kConnected };
  enum class ReadState { kHead, kBody, kChunkSize, kChunkData, kChunkDataEnd, kTrailers };

  void StartConnect() {
    state_ = State::kConnecting;
    sock_ = tcp::socket(io_);
    uint64_t gen = gen_;
    sock_.async_connect(ep_.address, [this, gen](error_code ec) {
      if (gen != gen_) return;
      if (ec) {
        Drop(TransportError::kConnect, /*fail_queued=*/true);
        ResumeCompleted();
        return;
      }
      error_code ignored;
      sock_.set_option(tcp::no_delay(true), ignored);
      state_ = State::kConnected;
      rbeg_ = rend_ = 0;
      read_state_ = ReadState::kHead;
      StartRead();
      MaybeWrite();
    });
  }

  void MaybeWrite() {
    if (writing_ || queued_.empty() || state_ != State::kConnected) return;
    wbufs_.clear();
    size_t n = 0;
    while (!queued_.empty() && n < kMaxCallsPerWrite) {
      Call* c = queued_.front();
      queued_.pop_front();
      wbufs_.emplace_back(c->head.data(), c->head.size());
      if (!c->body.empty()) wbufs_.emplace_back(c->body.data(), c->body.size());
      inflight_.push_back(c);
      ++n;
    }
    writing_ = true;
    uint64_t gen = gen_;
    asio::async_write(sock_, std::span<const asio::const_buffer>(wbufs_), [this, gen](error_code ec, size_t) {
      if (gen != gen_) return;
      writing_ = false;
      if (ec) {
        Drop(TransportError::kIo, /*fail_queued=*/false);
      } else {
        MaybeWrite();
      }
      ResumeCompleted();
    });
  }

  void StartRead() {
    if (rbeg_ == rend_) {
      rbeg_ = rend_ = 0;
    } else if (rend_ == kReadBuffer) {  // compact
      std::memmove(rbuf_.get(), rbuf_.get() + rbeg_, rend_ - rbeg_);
      rend_ -= rbeg_;
      rbeg_ = 0;
    }
    uint64_t gen = gen_;
    sock_.async_read_some(asio::buffer(rbuf_.get() + rend_, kReadBuffer - rend_),
                          [this, gen](error_code ec, size_t n) {
                            if (gen != gen_) return;
                            OnRead(ec, n);
                            ResumeCompleted();
                          });
  }

  void OnRead(error_code ec, size_t n) {
    if (ec) {
      Drop(TransportError::kIo, /*fail_queued=*/false);
      return;
    }
    rend_ += n;
    if (!Parse()) return;  // dropped
    if (state_ != State::kConnected) return;
    if (read_state_ == ReadState::kBody && body_left_ > 0) {
      // Read the rest of a Content-Length body straight into the call's buffer.
      Call* c = inflight_.front();
      char* dst = c->response.Extend(body_left_);
      uint64_t gen = gen_;
      asio::async_read(sock_, asio::buffer(dst, body_left_), [this, gen](error_code ec, size_t) {
        if (gen != gen_) return;
        if (ec) {
          Drop(TransportError::kIo, /*fail_queued=*/false);
        } else {
          body_left_ = 0;
          FinishResponse();
          if (state_ == State::kConnected) {
            if (Parse() && state_ == State::kConnected) StartRead();
          }
        }
        ResumeCompleted();
      });
      return;
    }
    StartRead();
  }

  // Consumes buffered input. Returns false when the connection was dropped. Leaves
  // read_state_ == kBody with body_left_ > 0 when the rest of a body must be read directly.
  bool Parse() {
    for (;;) {
      std::string_view in(rbuf_.get() + rbeg_, rend_ - rbeg_);
      switch (read_state_) {
        case ReadState::kHead: {
          size_t end = in.find("\r\n\r\n");
          if (end == std::string_view::npos) {
            if (in.size() > kMaxHead) return Fail(TransportError::kProtocol);
            return true;
          }
          if (inflight_.empty()) return Fail(TransportError::kProtocol);
          if (!ParseHead(in.substr(0, end + 2))) return Fail(TransportError::kProtocol);
          rbeg_ += end + 4;
          break;
        }
        case ReadState::kBody: {
          Call* c = inflight_.front();
          size_t take = std::min(body_left_, in.size());
          c->response.Append(in.data(), take);
          rbeg_ += take;
          body_left_ -= take;
          if (body_left_ > 0) return true;  // caller reads the rest directly
          FinishResponse();
          if (state_ != State::kConnected) return false;
          break;
        }
        case ReadState::kChunkSize: {
          size_t eol = in.find("\r\n");
          if (eol == std::string_view::npos) {
            if (in.size() > 1024) return Fail(TransportError::kProtocol);
            return true;
          }
          std::string_view line = in.substr(0, eol);
          if (auto semi = line.find(';'); semi != std::string_view::npos) line = line.substr(0, semi);
          line = Trim(line);
          size_t size = 0;
          auto [p, e] = std::from_chars(line.data(), line.data() + line.size(), size, 16);
          if (e != std::errc() || p != line.data() + line.size()) return Fail(TransportError::kProtocol);
          rbeg_ += eol + 2;
          body_left_ = size;
          read_state_ = size == 0 ? ReadState::kTrailers : ReadState::kChunkData;
          break;
        }
        case ReadState::kChunkData: {
          if (in.empty()) return true;
          size_t take = std::min(body_left_, in.size());
          inflight_.front()->response.Append(in.data(), take);
          rbeg_ += take;
          body_left_ -= take;
          if (body_left_ == 0) read_state_ = ReadState::kChunkDataEnd;
          break;
        }
        case ReadState::kChunkDataEnd: {
          if (in.size() < 2) return true;
          if (in.substr(0, 2) != "\r\n") return Fail(TransportError::kProtocol);
          rbeg_ += 2;
          read_state_ = ReadState::kChunkSize;
          break;
        }
        case ReadState::kTrailers: {
          size_t eol = in.find("\r\n");
          if (eol == std::string_view::npos) return true;
          rbeg_ += eol + 2;
          if (eol == 0) {
            FinishResponse();
            if (state_ != State::kConnected) return false;
          }
          break;
        }
      }
    }
  }

  bool ParseHead(std::string_view head) {
    Call* c = inflight_.front();
    // "HTTP/1.1 200 OK\r\n"
    if (head.size() < 12 || !head.starts_with("HTTP/1.")) return false;
    int status = 0;
    auto [p, e] = std::from_chars(head.data() + 9, head.data() + 12, status);
    if (e != std::errc() || p != head.data() + 12) return false;
    size_t pos = head.find("\r\n") + 2;
    bool chunked = false;
    bool have_length = false;
    size_t length = 0;
    close_after_ = false;
    while (pos < head.size()) {
      size_t eol = head.find("\r\n", pos);
      if (eol == std::string_view::npos) eol = head.size();
      std::string_view line = head.substr(pos, eol - pos);
      pos = eol + 2;
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view name = line.substr(0, colon);
      std::string_view value = Trim(line.substr(colon + 1));
      if (IEquals(name, "content-length")) {
        auto [q, err] = std::from_chars(value.data(), value.data() + value.size(), length);
        if (err != std::errc()) return false;
        have_length = true;
      } else if (IEquals(name, "transfer-encoding")) {
        chunked = value.find("chunked") != std::string_view::npos;
      } else if (IEquals(name, "connection")) {
        close_after_ = IEquals(value, "close");
      } else if (IEquals(name, "x-amzn-errortype")) {
        c->error_type.assign(value);
      }
    }
    c->status = status;
    c->response.clear();
    if (chunked) {
      read_state_ = ReadState::kChunkSize;
    } else {
      if (!have_length) length = 0;  // Kinesis servers always send one; no read-until-close
      c->response.Reserve(length);
      body_left_ = length;
      read_state_ = ReadState::kBody;
    }
    return true;
  }

  void FinishResponse() {
    Call* c = inflight_.front();
    inflight_.pop_front();
    c->end = SteadyClock::now();
    c->response_complete = true;
    completed_.push_back(c);
    read_state_ = ReadState::kHead;
    body_left_ = 0;
    if (close_after_) Drop(TransportError::kIo, /*fail_queued=*/false);
  }

  bool Fail(TransportError e) {
    Drop(e, /*fail_queued=*/false);
    return false;
  }

  // Closes the socket and fails the calls already (partly) sent; queued calls that never
  // reached the wire are retried on a new connection unless `fail_queued`.
  void Drop(TransportError e, bool fail_queued) {
    ++gen_;
    error_code ignored;
    sock_.close(ignored);
    state_ = State::kDisconnected;
    writing_ = false;
    auto now = SteadyClock::now();
    auto fail = [&](Call* c) {
      c->status = 0;
      c->error = e;
      c->end = now;
      completed_.push_back(c);
    };
    for (Call* c : inflight_) fail(c);
    inflight_.clear();
    if (fail_queued) {
      for (Call* c : queued_) fail(c);
      queued_.clear();
    }
    rbeg_ = rend_ = 0;
    body_left_ = 0;
    read_state_ = ReadState::kHead;
    if (!queued_.empty()) StartConnect();
  }

  void ResumeCompleted() {
    if (completed_.empty()) return;
    resuming_.swap(completed_);
    for (Call* c : resuming_) c->waiter.resume();
    resuming_.clear();
  }

  asio::io_context& io_;
  const Endpoint& ep_;
  Signer& signer_;
  tcp::socket sock_;
  State state_ = State::kDisconnected;
  uint64_t gen_ = 0;
  std::deque<Call*> queued_;
  std::deque<Call*> inflight_;
  std::vector<Call*> completed_;
  std::vector<Call*> resuming_;
  bool writing_ = false;
  std::vector<asio::const_buffer> wbufs_;
  std::unique_ptr<char[]> rbuf_;
  size_t rbeg_ = 0;
  size_t rend_ = 0;
  ReadState read_state_ = ReadState::kHead;
  size_t body_left_ = 0;
  bool close_after_ = false;
};

}  // namespace

std::unique_ptr<Connection> MakeHttp1Connection(asio::io_context& io, const Endpoint& endpoint,
                                                Signer& signer, const ConnectionOptions&) {
  return std::make_unique<Http1Connection>(io, endpoint, signer);
}

}  // namespace shoal::loadgen
