#include "api/http/http2_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>
#include <unordered_map>
#include <utility>
#include <vector>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "api/http/connection_registry.h"
#include "api/http/header_util.h"
#include "api/http/responder.h"
#include "api/http/stream_ops.h"
#include "api/http/streaming_body.h"
#include "common/status.h"

namespace shoal::api::transport {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

// Advertised in our first SETTINGS frame. A 16 MiB stream window lets a client upload a
// maximal request body without waiting for WINDOW_UPDATEs; the connection window is
// raised to match a couple of such uploads in parallel. Bodies are consumed (copied out)
// as they arrive, so nghttp2's automatic WINDOW_UPDATEs keep both windows open.
constexpr uint32_t kMaxConcurrentStreams = 128;
constexpr int32_t kStreamWindow = 16 << 20;
constexpr int32_t kConnectionWindow = 32 << 20;
// Per-stream cap on decoded request header bytes (names + values + 32 per field, as in
// SETTINGS_MAX_HEADER_LIST_SIZE); beyond it the stream is reset.
constexpr size_t kMaxHeaderListBytes = 64 * 1024;
constexpr size_t kReadSize = 64 * 1024;
constexpr size_t kMaxWriteBatch = 128 * 1024;
// After a terminating GOAWAY: how long a stuck write may take, and how long we wait for
// the peer to close after our FIN (see Linger()).
constexpr auto kTerminateGrace = std::chrono::seconds(2);
constexpr auto kLingerTimeout = std::chrono::seconds(2);

// Per request stream. Created on the request HEADERS, erased in on_stream_close.
struct StreamState {
  HttpRequest request;  // moved out when dispatched
  size_t header_bytes = 0;
  bool too_large = false;
  bool dispatched = false;
  bool reset_after_response = false;  // too large: stop the upload once we have answered
  bool goaway_after_response = false;  // close_connection
  std::string response_body;
  size_t response_offset = 0;
  // A streaming response's body (ReadStreamBody); closed when the stream goes away.
  std::shared_ptr<StreamingBody> sink;
};

// One HTTP/2 connection. All members, and every nghttp2 call, run on the stream's executor
// (one thread), so there is no locking. nghttp2 callbacks get `this` as user_data; they
// run only inside the nghttp2_session_mem_recv/mem_send calls made by this object.
//
// States: kOpen --(GOAWAY sent and no active streams, i.e. nghttp2 wants neither to read
// nor to write)--> kLingering --(peer EOF / timeout)--> kClosed; any --error--> kClosed.
// A terminating GOAWAY (Shutdown(), idle timeout) drops unanswered streams; a graceful one
// (close_connection) is sent after that response and lets other streams finish.
//
// Streaming responses: the data provider (ReadStreamBody) copies from the stream's sink as
// far as flow control lets nghttp2 ask, and returns NGHTTP2_ERR_DEFERRED when the sink is
// empty; the sink's wake-up (OnSinkReady) resumes the stream and flushes. A sink is closed
// when its stream closes, when END_STREAM went out, on Terminate() and on CloseNow().
template <class Stream>
class Http2Session final : public Connection,
                           public std::enable_shared_from_this<Http2Session<Stream>> {
 public:
  Http2Session(Stream stream, ConnectionContext ctx)
      : stream_(std::move(stream)), timer_(stream_.get_executor()), ctx_(std::move(ctx)) {}

  ~Http2Session() override {
    state_ = State::kClosed;  // nothing below may touch the timer or shared_from_this()
    if (session_ != nullptr) nghttp2_session_del(session_);
  }

  asio::any_io_executor executor() { return timer_.get_executor(); }

  // REQUIRES: on executor(). `preread` starts with the client preface.
  void Run(const std::string& preread);

  void Shutdown() override {
    asio::post(executor(), [self = this->shared_from_this()] {
      if (self->state_ == State::kOpen) return self->Terminate(NGHTTP2_NO_ERROR);
      self->CloseNow();
    });
  }

 private:
  enum class State { kOpen, kLingering, kClosed };

  static int OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnHeader(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name,
                      size_t name_len, const uint8_t* value, size_t value_len, uint8_t flags,
                      void* user);
  static int OnDataChunk(nghttp2_session*, uint8_t flags, int32_t stream_id,
                         const uint8_t* data, size_t len, void* user);
  static int OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnFrameSend(nghttp2_session*, const nghttp2_frame* frame, void* user);
  static int OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t error_code,
                           void* user);
  static ssize_t ReadResponseBody(nghttp2_session*, int32_t stream_id, uint8_t* buf,
                                  size_t length, uint32_t* data_flags, nghttp2_data_source*,
                                  void* user);
  static ssize_t ReadStreamBody(nghttp2_session*, int32_t stream_id, uint8_t* buf,
                                size_t length, uint32_t* data_flags, nghttp2_data_source*,
                                void* user);

  bool InitSession();
  void Feed(const char* data, size_t size);
  void DoRead();
  void OnRead(error_code ec, size_t n);
  void Flush();
  bool ApplyDeferred();
  void MaybeClose();
  void Terminate(uint32_t error_code);
  void Linger();
  void CloseNow();
  void OnEndOfHeaders(int32_t stream_id, StreamState& stream);
  void Dispatch(int32_t stream_id, StreamState& stream);
  void OnResponse(int32_t stream_id, HttpResponse response);
  void SubmitResponse(int32_t stream_id, StreamState& stream, HttpResponse response);
  void OnSinkReady(int32_t stream_id);
  void CloseSinks();
  void UpdateIdleTimer();
  void ArmTimer(std::chrono::seconds timeout);
  void CancelTimer();
  void OnTimeout();

  Stream stream_;
  asio::steady_timer timer_;  // idle timeout, terminate grace, or linger, by state
  uint64_t timer_generation_ = 0;
  ConnectionContext ctx_;
  nghttp2_session* session_ = nullptr;  // owned
  std::unordered_map<int32_t, StreamState> streams_;
  std::array<char, kReadSize> read_buffer_;
  std::string write_buffer_;  // bytes of the async_write in flight
  bool reading_ = false;
  bool writing_ = false;
  bool terminating_ = false;  // a terminating GOAWAY was submitted
  // Submitted after nghttp2_session_mem_send() returns, never from inside its callbacks.
  std::vector<int32_t> pending_resets_;
  bool pending_goaway_ = false;
  State state_ = State::kOpen;
};

// ---- nghttp2 callbacks -------------------------------------------------------------------

template <class Stream>
int Http2Session<Stream>::OnBeginHeaders(nghttp2_session*, const nghttp2_frame* frame,
                                         void* user) {
  auto* self = static_cast<Http2Session*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  self->streams_[frame->hd.stream_id].request.version = HttpRequest::Version::kHttp2;
  if (!self->terminating_) self->CancelTimer();  // not idle any more
  return 0;
}

template <class Stream>
int Http2Session<Stream>::OnHeader(nghttp2_session*, const nghttp2_frame* frame,
                                   const uint8_t* name, size_t name_len, const uint8_t* value,
                                   size_t value_len, uint8_t, void* user) {
  auto* self = static_cast<Http2Session*>(user);
  // Trailers (a second HEADERS block) are ignored; no Kinesis client sends them.
  if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
    return 0;
  auto it = self->streams_.find(frame->hd.stream_id);
  if (it == self->streams_.end()) return 0;
  StreamState& stream = it->second;
  stream.header_bytes += name_len + value_len + 32;
  if (stream.header_bytes > kMaxHeaderListBytes) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  // nghttp2 has already rejected upper-case names (RFC 9113 section 8.2.1).
  std::string n(reinterpret_cast<const char*>(name), name_len);
  std::string v(reinterpret_cast<const char*>(value), value_len);
  if (n == ":method") stream.request.method = v;
  if (n == ":path") stream.request.target = v;
  stream.request.headers.emplace_back(std::move(n), std::move(v));
  return 0;
}

template <class Stream>
int Http2Session<Stream>::OnDataChunk(nghttp2_session*, uint8_t, int32_t stream_id,
                                      const uint8_t* data, size_t len, void* user) {
  auto* self = static_cast<Http2Session*>(user);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end()) return 0;
  StreamState& stream = it->second;
  if (stream.too_large || stream.dispatched) return 0;  // discarded; windows still reopen
  if (stream.request.body.size() + len > self->ctx_.max_body_bytes) {
    stream.too_large = true;
    std::string().swap(stream.request.body);
    self->Dispatch(stream_id, stream);  // answer now; the upload is reset after the answer
    return 0;
  }
  stream.request.body.append(reinterpret_cast<const char*>(data), len);
  return 0;
}

template <class Stream>
int Http2Session<Stream>::OnFrameRecv(nghttp2_session*, const nghttp2_frame* frame,
                                      void* user) {
  auto* self = static_cast<Http2Session*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  auto it = self->streams_.find(frame->hd.stream_id);
  if (it == self->streams_.end()) return 0;
  StreamState& stream = it->second;
  if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST)
    self->OnEndOfHeaders(frame->hd.stream_id, stream);
  // END_STREAM ends the body; content-length is not required.
  if ((frame->hd.flags & NGHTTP2_FLAG_END_STREAM) && !stream.dispatched)
    self->Dispatch(frame->hd.stream_id, stream);
  return 0;
}

template <class Stream>
int Http2Session<Stream>::OnFrameSend(nghttp2_session*, const nghttp2_frame* frame,
                                      void* user) {
  auto* self = static_cast<Http2Session*>(user);
  if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA) return 0;
  if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM)) return 0;
  auto it = self->streams_.find(frame->hd.stream_id);
  if (it == self->streams_.end()) return 0;
  // Our response is complete.
  if (it->second.sink != nullptr) it->second.sink->Close();
  if (it->second.reset_after_response) self->pending_resets_.push_back(frame->hd.stream_id);
  if (it->second.goaway_after_response) self->pending_goaway_ = true;
  return 0;
}

template <class Stream>
int Http2Session<Stream>::OnStreamClose(nghttp2_session*, int32_t stream_id, uint32_t,
                                        void* user) {
  auto* self = static_cast<Http2Session*>(user);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end()) return 0;
  if (it->second.sink != nullptr) it->second.sink->Close();  // e.g. RST_STREAM from the peer
  self->streams_.erase(it);  // a late Responder for it finds nothing and drops
  if (self->streams_.empty()) self->UpdateIdleTimer();
  return 0;
}

template <class Stream>
ssize_t Http2Session<Stream>::ReadResponseBody(nghttp2_session*, int32_t stream_id,
                                               uint8_t* buf, size_t length,
                                               uint32_t* data_flags, nghttp2_data_source*,
                                               void* user) {
  auto* self = static_cast<Http2Session*>(user);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end()) return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  StreamState& stream = it->second;
  const size_t n = std::min(length, stream.response_body.size() - stream.response_offset);
  std::memcpy(buf, stream.response_body.data() + stream.response_offset, n);
  stream.response_offset += n;
  if (stream.response_offset == stream.response_body.size()) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    std::string().swap(stream.response_body);
    stream.response_offset = 0;
  }
  return static_cast<ssize_t>(n);
}

template <class Stream>
ssize_t Http2Session<Stream>::ReadStreamBody(nghttp2_session*, int32_t stream_id, uint8_t* buf,
                                             size_t length, uint32_t* data_flags,
                                             nghttp2_data_source*, void* user) {
  auto* self = static_cast<Http2Session*>(user);
  auto it = self->streams_.find(stream_id);
  if (it == self->streams_.end() || it->second.sink == nullptr)
    return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE;
  const StreamingBody::ReadResult read = it->second.sink->Read(buf, length);
  if (read.end) {
    *data_flags |= NGHTTP2_DATA_FLAG_EOF;
  } else if (read.bytes == 0) {
    return NGHTTP2_ERR_DEFERRED;  // OnSinkReady() resumes it
  }
  return static_cast<ssize_t>(read.bytes);
}

// ---- requests and responses ------------------------------------------------------------

template <class Stream>
void Http2Session<Stream>::OnEndOfHeaders(int32_t stream_id, StreamState& stream) {
  // A declared content-length over the limit: answer without waiting for the body.
  // (nghttp2 has already checked that the value is a number.)
  const std::string_view declared = stream.request.Header("content-length");
  const char* last = declared.data() + declared.size();
  uint64_t length = 0;
  const auto [end, ec] = std::from_chars(declared.data(), last, length);
  if (!declared.empty() && ec == std::errc() && end == last && length > ctx_.max_body_bytes &&
      !stream.dispatched) {
    stream.too_large = true;
    Dispatch(stream_id, stream);
  }
}

template <class Stream>
void Http2Session<Stream>::Dispatch(int32_t stream_id, StreamState& stream) {
  stream.dispatched = true;
  HttpRequest request = std::move(stream.request);
  request.version = HttpRequest::Version::kHttp2;
  request.body_too_large = stream.too_large;
  if (stream.too_large) request.body.clear();
  auto deliver = [self = this->shared_from_this(), stream_id](HttpResponse response) {
    self->OnResponse(stream_id, std::move(response));
  };
  ctx_.handler->Handle(std::move(request),
                       MakeResponder(ctx_.io_context.lock(), std::move(deliver)));
}

template <class Stream>
void Http2Session<Stream>::OnResponse(int32_t stream_id, HttpResponse response) {
  auto it = streams_.find(stream_id);
  if (state_ != State::kOpen || it == streams_.end()) {  // reset by the client meanwhile
    if (response.stream_body) response.stream_body(StreamingBody::MakeClosed(ctx_.io_context));
    return;
  }
  SubmitResponse(stream_id, it->second, std::move(response));
  Flush();
}

template <class Stream>
void Http2Session<Stream>::SubmitResponse(int32_t stream_id, StreamState& stream,
                                          HttpResponse response) {
  const int status = (response.status >= 100 && response.status <= 999) ? response.status : 500;
  auto stream_body = std::move(response.stream_body);
  const bool streaming = stream_body != nullptr && StatusAllowsBody(status);
  const bool has_body = !streaming && StatusAllowsBody(status) && !response.body.empty();
  std::vector<std::pair<std::string, std::string>> fields;
  fields.reserve(response.headers.size() + 2);
  fields.emplace_back(":status", std::to_string(status));
  for (auto& [name, value] : response.headers) {
    if (name.empty() || name[0] == ':' || IsTransportOwnedHeader(name)) continue;
    fields.emplace_back(AsciiLower(name), std::move(value));
  }
  if (status >= 200 && status != 204 && !streaming)
    fields.emplace_back("content-length", std::to_string(has_body ? response.body.size() : 0));
  std::vector<nghttp2_nv> nva;
  nva.reserve(fields.size());
  for (auto& [name, value] : fields) {
    nva.push_back({reinterpret_cast<uint8_t*>(name.data()),
                   reinterpret_cast<uint8_t*>(value.data()), name.size(), value.size(),
                   NGHTTP2_NV_FLAG_NONE});  // nghttp2 copies
  }
  stream.response_body = has_body ? std::move(response.body) : std::string();
  stream.response_offset = 0;
  stream.reset_after_response = stream.too_large;
  stream.goaway_after_response = response.close_connection;
  nghttp2_data_provider provider{};
  provider.read_callback = &Http2Session::ReadResponseBody;
  if (streaming) {
    provider.read_callback = &Http2Session::ReadStreamBody;
    stream.sink = std::make_shared<StreamingBody>(
        ctx_.io_context,
        [self = this->shared_from_this(), stream_id] { self->OnSinkReady(stream_id); });
  }
  const int rv = nghttp2_submit_response(session_, stream_id, nva.data(), nva.size(),
                                         has_body || streaming ? &provider : nullptr);
  if (rv != 0) {
    spdlog::debug("http/2: cannot submit response: {}", nghttp2_strerror(rv));
    IgnoreError(nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, stream_id,
                                          NGHTTP2_INTERNAL_ERROR));
    if (stream.sink != nullptr) stream.sink->Close();
  }
  if (stream_body) {
    stream_body(stream.sink != nullptr ? stream.sink
                                       : StreamingBody::MakeClosed(ctx_.io_context));
  }
}

template <class Stream>
void Http2Session<Stream>::OnSinkReady(int32_t stream_id) {
  if (state_ != State::kOpen) return;
  if (streams_.find(stream_id) == streams_.end()) return;  // closed meanwhile
  // Fails harmlessly when the stream is not deferred (nghttp2 will ask again anyway).
  IgnoreError(nghttp2_session_resume_data(session_, stream_id));
  Flush();
}

template <class Stream>
void Http2Session<Stream>::CloseSinks() {
  for (auto& [id, stream] : streams_)
    if (stream.sink != nullptr) stream.sink->Close();
}

// ---- I/O ---------------------------------------------------------------------------------

template <class Stream>
bool Http2Session<Stream>::InitSession() {
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) return false;
  nghttp2_session_callbacks_set_on_begin_headers_callback(callbacks, &OnBeginHeaders);
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &OnHeader);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &OnDataChunk);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &OnFrameRecv);
  nghttp2_session_callbacks_set_on_frame_send_callback(callbacks, &OnFrameSend);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &OnStreamClose);
  const int rv = nghttp2_session_server_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  if (rv != 0) return false;
  const nghttp2_settings_entry settings[] = {
      {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, kMaxConcurrentStreams},
      {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, static_cast<uint32_t>(kStreamWindow)},
      {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, static_cast<uint32_t>(kMaxHeaderListBytes)},
  };
  return nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, std::size(settings)) ==
             0 &&
         nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                               kConnectionWindow) == 0;
}

template <class Stream>
void Http2Session<Stream>::Run(const std::string& preread) {
  if (!ctx_.registry->Add(this->weak_from_this())) return CloseNow();
  if (!InitSession()) {
    spdlog::warn("http/2: cannot create an nghttp2 session");
    return CloseNow();
  }
  UpdateIdleTimer();
  Feed(preread.data(), preread.size());
  if (state_ != State::kOpen) return;
  Flush();  // our SETTINGS go out at once
  if (state_ == State::kOpen && nghttp2_session_want_read(session_)) DoRead();
}

template <class Stream>
void Http2Session<Stream>::Feed(const char* data, size_t size) {
  const ssize_t rv =
      nghttp2_session_mem_recv(session_, reinterpret_cast<const uint8_t*>(data), size);
  if (rv < 0) {
    // Fatal (flooding, bad magic, out of memory). Ordinary protocol errors are answered
    // by nghttp2 itself with GOAWAY and never get here.
    spdlog::debug("http/2: dropping connection: {}", nghttp2_strerror(static_cast<int>(rv)));
    CloseNow();
  }
}

template <class Stream>
void Http2Session<Stream>::DoRead() {
  if (reading_ || state_ == State::kClosed) return;
  reading_ = true;
  stream_.async_read_some(asio::buffer(read_buffer_),
                          [self = this->shared_from_this()](error_code ec, size_t n) {
                            self->OnRead(ec, n);
                          });
}

template <class Stream>
void Http2Session<Stream>::OnRead(error_code ec, size_t n) {
  reading_ = false;
  if (state_ == State::kClosed) return;
  if (ec) return CloseNow();  // EOF (normal for one-request-per-connection clients) or error
  if (state_ == State::kLingering) return DoRead();  // discard until the peer closes
  Feed(read_buffer_.data(), n);
  if (state_ != State::kOpen) return;
  Flush();
  if (state_ == State::kOpen && nghttp2_session_want_read(session_)) DoRead();
}

template <class Stream>
void Http2Session<Stream>::Flush() {
  if (writing_ || state_ != State::kOpen) return;
  write_buffer_.clear();
  while (write_buffer_.size() < kMaxWriteBatch) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      spdlog::debug("http/2: dropping connection: {}", nghttp2_strerror(static_cast<int>(n)));
      return CloseNow();
    }
    if (n == 0) {
      if (ApplyDeferred()) continue;
      break;
    }
    write_buffer_.append(reinterpret_cast<const char*>(data), static_cast<size_t>(n));
  }
  if (write_buffer_.empty()) return MaybeClose();
  writing_ = true;
  asio::async_write(stream_, asio::buffer(write_buffer_),
                    [self = this->shared_from_this()](error_code ec, size_t) {
                      self->writing_ = false;
                      if (self->state_ != State::kOpen) return;
                      if (ec) return self->CloseNow();
                      self->Flush();
                    });
}

template <class Stream>
bool Http2Session<Stream>::ApplyDeferred() {
  bool submitted = false;
  for (int32_t id : std::exchange(pending_resets_, {})) {
    // NO_ERROR after a complete response asks the client to stop sending the body (RFC
    // 9113 section 8.1); skip it if the client already finished.
    if (nghttp2_session_get_stream_remote_close(session_, id) != 0) continue;
    submitted |= nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id,
                                           NGHTTP2_NO_ERROR) == 0;
  }
  if (std::exchange(pending_goaway_, false) && !terminating_) {
    submitted |= nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                                       nghttp2_session_get_last_proc_stream_id(session_),
                                       NGHTTP2_NO_ERROR, nullptr, 0) == 0;
  }
  return submitted;
}

template <class Stream>
void Http2Session<Stream>::MaybeClose() {
  if (state_ != State::kOpen || writing_) return;
  // Both 0 once a GOAWAY went either way and no stream is active.
  if (nghttp2_session_want_read(session_) || nghttp2_session_want_write(session_)) return;
  Linger();
}

template <class Stream>
void Http2Session<Stream>::Terminate(uint32_t error_code) {
  if (terminating_) return;
  terminating_ = true;
  CloseSinks();  // streams are dropped: their producers stop now
  IgnoreError(nghttp2_session_terminate_session(session_, error_code));
  ArmTimer(kTerminateGrace);  // a peer that stops reading must not hold us forever
  Flush();
}

// Our side is done: half-close and read (discarding) until the peer closes, so it gets our
// last frames instead of a RST for bytes we left unread.
template <class Stream>
void Http2Session<Stream>::Linger() {
  state_ = State::kLingering;
  CloseSinks();
  ShutdownSend(stream_);
  ArmTimer(kLingerTimeout);
  DoRead();
}

template <class Stream>
void Http2Session<Stream>::CloseNow() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  CancelTimer();
  CloseStream(stream_);
  CloseSinks();
  streams_.clear();  // nghttp2 is not called again, so nothing refers to them
}

// ---- timers ------------------------------------------------------------------------------

template <class Stream>
void Http2Session<Stream>::UpdateIdleTimer() {
  if (state_ == State::kOpen && !terminating_ && streams_.empty()) ArmTimer(ctx_.idle_timeout);
}

template <class Stream>
void Http2Session<Stream>::ArmTimer(std::chrono::seconds timeout) {
  const uint64_t generation = ++timer_generation_;
  if (timeout.count() <= 0) {
    timer_.cancel();
    return;
  }
  timer_.expires_after(timeout);
  timer_.async_wait([self = this->shared_from_this(), generation](error_code ec) {
    if (!ec && generation == self->timer_generation_) self->OnTimeout();
  });
}

template <class Stream>
void Http2Session<Stream>::CancelTimer() {
  ++timer_generation_;
  timer_.cancel();
}

template <class Stream>
void Http2Session<Stream>::OnTimeout() {
  if (state_ == State::kOpen && !terminating_) {
    spdlog::debug("http/2: idle timeout");
    return Terminate(NGHTTP2_NO_ERROR);
  }
  CloseNow();  // terminate grace or linger expired
}

}  // namespace

template <class Stream>
void StartHttp2Session(Stream stream, std::string preread, ConnectionContext ctx) {
  auto session = std::make_shared<Http2Session<Stream>>(std::move(stream), std::move(ctx));
  asio::post(session->executor(),
             [session, preread = std::move(preread)] { session->Run(preread); });
}

template void StartHttp2Session<TcpSocket>(TcpSocket, std::string, ConnectionContext);

}  // namespace shoal::api::transport
