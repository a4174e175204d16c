#include "h2_connection.h"

#include <nghttp2/nghttp2.h>

#include <boost/asio/write.hpp>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <deque>
#include <span>
#include <string>
#include <vector>

namespace shoal::loadgen {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using asio::ip::tcp;

constexpr size_t kReadBuffer = 256 * 1024;
// Bytes gathered into one socket write at most; nghttp2 is asked for more once it is done.
constexpr size_t kMaxWriteBytes = 4 << 20;

template <size_t N>
nghttp2_nv Nv(const char (&name)[N], std::string_view value) {
  return nghttp2_nv{const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(name)),
                    const_cast<uint8_t*>(reinterpret_cast<const uint8_t*>(value.data())), N - 1,
                    value.size(), NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE};
}

// State machine:
//   kDisconnected --Submit--> kConnecting --connected--> kConnected --error/GOAWAY--> kDisconnected
// Calls wait in queued_ until the session exists, then live in active_ (one stream each) until
// nghttp2 closes their stream. Completion (resuming the waiter) happens at the end of an I/O
// handler, never inside an nghttp2 callback, and only once no queued socket write still points
// into the call's body (write_refs). `gen_` changes on every drop; handlers of an older
// generation do nothing.
class H2Connection final : public Connection {
 public:
  H2Connection(asio::io_context& io, const Endpoint& endpoint, Signer& signer,
               const ConnectionOptions& options)
      : io_(io), ep_(endpoint), signer_(signer), options_(options), sock_(io),
        rbuf_(std::make_unique<char[]>(kReadBuffer)) {}

  ~H2Connection() override {
    if (session_) nghttp2_session_del(session_);
    error_code ec;
    sock_.close(ec);
  }

  void Submit(Call* call) override {
    signer_.Sign(OpTarget(call->op), call->body, call->body_sha256, call->amz_date,
                 call->authorization);
    call->head.clear();
    fmt_length(call->head, call->body.size());
    if (state_ == State::kConnected && !goaway_) {
      SubmitToSession(call);
      Flush();
    } else {
      queued_.push_back(call);
      if (state_ == State::kDisconnected) StartConnect();
    }
  }

  void CheckTimeouts(SteadyClock::time_point now, std::chrono::nanoseconds timeout) override {
    bool expired = (!queued_.empty() && now - queued_.front()->start > timeout);
    for (Call* c : active_) expired = expired || now - c->start > timeout;
    if (!expired) return;
    Drop(TransportError::kTimeout, /*fail_queued=*/true);
    ResumeCompleted();
  }

  void Close() override {
    Drop(TransportError::kShutdown, /*fail_queued=*/true);
    ResumeCompleted();
  }

  size_t outstanding() const override { return queued_.size() + active_.size(); }

 private:
  enum class State { kDisconnected, kConnecting, kConnected };
  struct Segment {
    const char* external = nullptr;  // body bytes, or null for bytes in out_
    size_t offset = 0;               // in out_ when external == nullptr
    size_t length = 0;
    Call* call = nullptr;            // owner of external bytes
  };

  static void fmt_length(std::string& out, size_t n) {
    char buf[24];
    auto [p, e] = std::to_chars(buf, buf + sizeof buf, n);
    (void)e;
    out.assign(buf, p);
  }

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
      if (!StartSession()) {
        Drop(TransportError::kProtocol, /*fail_queued=*/true);
        ResumeCompleted();
        return;
      }
      state_ = State::kConnected;
      goaway_ = false;
      while (!queued_.empty()) {
        Call* c = queued_.front();
        queued_.pop_front();
        SubmitToSession(c);
      }
      StartRead();
      Flush();
      ResumeCompleted();
    });
  }

  bool StartSession() {
    nghttp2_session_callbacks* cbs = nullptr;
    if (nghttp2_session_callbacks_new(&cbs) != 0) return false;
    nghttp2_session_callbacks_set_send_callback(cbs, &H2Connection::OnSend);
    nghttp2_session_callbacks_set_send_data_callback(cbs, &H2Connection::OnSendData);
    nghttp2_session_callbacks_set_on_header_callback(cbs, &H2Connection::OnHeader);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, &H2Connection::OnDataChunk);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, &H2Connection::OnFrameRecv);
    nghttp2_session_callbacks_set_on_stream_close_callback(cbs, &H2Connection::OnStreamClose);
    int rv = nghttp2_session_client_new(&session_, cbs, this);
    nghttp2_session_callbacks_del(cbs);
    if (rv != 0) {
      session_ = nullptr;
      return false;
    }
    nghttp2_settings_entry settings[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(options_.h2_stream_window)},
    };
    if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2) != 0) return false;
    if (nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                              options_.h2_connection_window) != 0) {
      return false;
    }
    return true;
  }

  void SubmitToSession(Call* c) {
    nghttp2_nv nva[] = {
        Nv(":method", "POST"),
        Nv(":scheme", "http"),
        Nv(":authority", ep_.authority),
        Nv(":path", "/"),
        Nv("content-type", kJsonContentType),
        Nv("x-amz-target", OpTarget(c->op)),
        Nv("x-amz-date", c->amz_date),
        Nv("authorization", c->authorization),
        Nv("content-length", c->head),
        Nv("user-agent", "shoal-loadgen"),
    };
    nghttp2_data_provider prd;
    prd.source.ptr = c;
    prd.read_callback = &H2Connection::OnReadBody;
    int32_t id = nghttp2_submit_request(session_, nullptr, nva, std::size(nva), &prd, c);
    if (id < 0) {
      c->status = 0;
      c->error = TransportError::kProtocol;
      c->end = SteadyClock::now();
      completed_.push_back(c);
      return;
    }
    c->stream_id = id;
    active_.push_back(c);
  }

  // Asks nghttp2 for frames and writes them (one write in flight at a time).
  void Flush() {
    if (writing_ || !session_ || state_ != State::kConnected) return;
    int rv = nghttp2_session_send(session_);
    if (rv != 0) {
      Drop(TransportError::kProtocol, /*fail_queued=*/false);
      return;
    }
    if (segments_.empty()) {
      if (!nghttp2_session_want_read(session_) && !nghttp2_session_want_write(session_)) {
        Drop(TransportError::kIo, /*fail_queued=*/false);  // session over (GOAWAY done)
      }
      return;
    }
    wbufs_.clear();
    for (const Segment& s : segments_) {
      const char* p = s.external ? s.external : out_.data() + s.offset;
      wbufs_.emplace_back(p, s.length);
    }
    writing_ = true;
    uint64_t gen = gen_;
    asio::async_write(sock_, std::span<const asio::const_buffer>(wbufs_),
                      [this, gen](error_code ec, size_t) {
                        if (gen != gen_) return;
                        writing_ = false;
                        ReleaseSegments();
                        if (ec) {
                          Drop(TransportError::kIo, /*fail_queued=*/false);
                        } else {
                          Flush();
                        }
                        ResumeCompleted();
                      });
  }

  void ReleaseSegments() {
    for (const Segment& s : segments_) {
      if (s.call && --s.call->write_refs == 0 && s.call->close_pending) {
        s.call->close_pending = false;
        completed_.push_back(s.call);
      }
    }
    segments_.clear();
    out_.clear();
    pending_bytes_ = 0;
  }

  void AppendOwned(const uint8_t* data, size_t n) {
    size_t off = out_.size();
    out_.append(reinterpret_cast<const char*>(data), n);
    if (!segments_.empty() && !segments_.back().external &&
        segments_.back().offset + segments_.back().length == off) {
      segments_.back().length += n;
    } else {
      segments_.push_back(Segment{nullptr, off, n, nullptr});
    }
    pending_bytes_ += n;
  }

  static ssize_t OnSend(nghttp2_session*, const uint8_t* data, size_t length, int, void* user) {
    auto* self = static_cast<H2Connection*>(user);
    if (self->pending_bytes_ >= kMaxWriteBytes) return NGHTTP2_ERR_WOULDBLOCK;
    self->AppendOwned(data, length);
    return static_cast<ssize_t>(length);
  }

  static ssize_t OnReadBody(nghttp2_session*, int32_t, uint8_t*, size_t length,
                            uint32_t* flags, nghttp2_data_source* source, void*) {
    auto* c = static_cast<Call*>(source->ptr);
    size_t n = std::min(length, c->body.size() - c->send_offset);
    c->send_offset += n;
    *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
    if (c->send_offset == c->body.size()) *flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }

  static int OnSendData(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd,
                        size_t length, nghttp2_data_source* source, void* user) {
    auto* self = static_cast<H2Connection*>(user);
    auto* c = static_cast<Call*>(source->ptr);
    if (self->pending_bytes_ >= kMaxWriteBytes) return NGHTTP2_ERR_WOULDBLOCK;
    self->AppendOwned(framehd, 9);
    if (frame->data.padlen > 0) return NGHTTP2_ERR_CALLBACK_FAILURE;  // we never ask for padding
    if (length > 0) {
      self->segments_.push_back(Segment{c->body.data() + c->sent_offset, 0, length, c});
      ++c->write_refs;
      c->sent_offset += length;
      self->pending_bytes_ += length;
    }
    return 0;
  }

  static int OnHeader(nghttp2_session* session, const nghttp2_frame* frame, const uint8_t* name,
                      size_t namelen, const uint8_t* value, size_t valuelen, uint8_t, void*) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    auto* c = static_cast<Call*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
    if (!c) return 0;
    std::string_view n(reinterpret_cast<const char*>(name), namelen);
    std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      int status = 0;
      std::from_chars(v.data(), v.data() + v.size(), status);
      if (status >= 200) c->status = status;  // ignore 1xx
    } else if (n == "x-amzn-errortype") {
      c->error_type.assign(v);
    } else if (n == "content-length") {
      size_t len = 0;
      std::from_chars(v.data(), v.data() + v.size(), len);
      c->response.Reserve(len);
    }
    return 0;
  }

  static int OnDataChunk(nghttp2_session* session, uint8_t, int32_t stream_id,
                         const uint8_t* data, size_t len, void*) {
    auto* c = static_cast<Call*>(nghttp2_session_get_stream_user_data(session, stream_id));
    if (c) c->response.Append(reinterpret_cast<const char*>(data), len);
    return 0;
  }

  static int OnFrameRecv(nghttp2_session* session, const nghttp2_frame* frame, void* user) {
    auto* self = static_cast<H2Connection*>(user);
    if (frame->hd.type == NGHTTP2_GOAWAY) {
      self->goaway_ = true;
      return 0;
    }
    if ((frame->hd.type == NGHTTP2_DATA || frame->hd.type == NGHTTP2_HEADERS) &&
        (frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
      auto* c = static_cast<Call*>(nghttp2_session_get_stream_user_data(session, frame->hd.stream_id));
      if (c && c->status != 0) c->response_complete = true;
    }
    return 0;
  }

  static int OnStreamClose(nghttp2_session* session, int32_t stream_id, uint32_t, void* user) {
    auto* self = static_cast<H2Connection*>(user);
    auto* c = static_cast<Call*>(nghttp2_session_get_stream_user_data(session, stream_id));
    if (!c) return 0;
    nghttp2_session_set_stream_user_data(session, stream_id, nullptr);
    self->FinishCall(c);
    return 0;
  }

  void FinishCall(Call* c) {
    c->end = SteadyClock::now();
    if (!c->response_complete) {
      c->status = 0;
      c->error = TransportError::kReset;
    }
    auto it = std::find(active_.begin(), active_.end(), c);
    if (it != active_.end()) {
      *it = active_.back();
      active_.pop_back();
    }
    if (c->write_refs > 0) {
      c->close_pending = true;  // a queued write still points into its body
    } else {
      completed_.push_back(c);
    }
  }

  void StartRead() {
    uint64_t gen = gen_;
    sock_.async_read_some(asio::buffer(rbuf_.get(), kReadBuffer),
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
    ssize_t rv = nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(rbuf_.get()), n);
    if (rv < 0) {
      Drop(TransportError::kProtocol, /*fail_queued=*/false);
      return;
    }
    if (goaway_ && active_.empty()) {
      // The server is going away: reconnect for whatever is queued.
      Drop(TransportError::kIo, /*fail_queued=*/false);
      return;
    }
    Flush();
    if (state_ == State::kConnected) StartRead();
  }

  // Drops the connection. Calls on streams fail with `e`; queued calls (never sent) are kept
  // for a new connection unless `fail_queued`.
  void Drop(TransportError e, bool fail_queued) {
    ++gen_;
    error_code ignored;
    sock_.close(ignored);
    if (session_) {
      nghttp2_session_del(session_);  // runs no callbacks
      session_ = nullptr;
    }
    state_ = State::kDisconnected;
    writing_ = false;
    auto now = SteadyClock::now();
    auto fail = [&](Call* c) {
      c->status = 0;
      c->error = e;
      c->end = now;
      c->write_refs = 0;
      c->close_pending = false;
      completed_.push_back(c);
    };
    for (const Segment& s : segments_) {
      // A call whose stream already ended (with its response) only waited for the write.
      if (s.call && s.call->close_pending) {
        s.call->close_pending = false;
        s.call->write_refs = 0;
        completed_.push_back(s.call);
      }
    }
    segments_.clear();
    out_.clear();
    pending_bytes_ = 0;
    for (Call* c : active_) fail(c);
    active_.clear();
    goaway_ = false;
    if (fail_queued) {
      for (Call* c : queued_) fail(c);
      queued_.clear();
    }
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
  ConnectionOptions options_;
  tcp::socket sock_;
  nghttp2_session* session_ = nullptr;
  State state_ = State::kDisconnected;
  uint64_t gen_ = 0;
  bool goaway_ = false;
  std::deque<Call*> queued_;
  std::vector<Call*> active_;
  std::vector<Call*> completed_;
  std::vector<Call*> resuming_;
  bool writing_ = false;
  std::string out_;
  std::vector<Segment> segments_;
  size_t pending_bytes_ = 0;
  std::vector<asio::const_buffer> wbufs_;
  std::unique_ptr<char[]> rbuf_;
};

}  // namespace

std::unique_ptr<Connection> MakeH2Connection(asio::io_context& io, const Endpoint& endpoint,
                                             Signer& signer, const ConnectionOptions& options) {
  return std::make_unique<H2Connection>(io, endpoint, signer, options);
}

}  // namespace shoal::loadgen
