#include "api/kinesis_handler.h"

#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fmt/format.h>

#include <random>

#include "api/codec/reader.h"
#include "api/sigv4.h"
#include "api/validate.h"
#include "common/base64.h"
#include "common/time_format.h"

namespace shoal::api {
namespace {

constexpr std::string_view kTargetPrefix = "Kinesis_20131202.";
constexpr char kJsonType[] = "application/x-amz-json-1.1";
constexpr char kCborType[] = "application/x-amz-cbor-1.1";

std::optional<Format> FormatOf(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  if (content_type == kJsonType || content_type == "application/json") return Format::kJson;
  if (content_type == kCborType) return Format::kCbor;
  return std::nullopt;
}

// "<name>" of a (validated) arn:...:stream/<name>/consumer/<consumer>:<seconds>.
std::string_view StreamOfConsumerArn(std::string_view arn) {
  size_t start = arn.find(":stream/");
  size_t end = arn.rfind("/consumer/");
  if (start == std::string_view::npos || end == std::string_view::npos || end < start + 8) {
    return {};
  }
  return arn.substr(start + 8, end - start - 8);
}

std::mt19937_64& Rng() {
  thread_local std::mt19937_64 rng(std::random_device{}());
  return rng;
}

std::string NewRequestId() {
  uint64_t a = Rng()(), b = Rng()();
  b = (b & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  a = (a & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  return fmt::format("{:08x}-{:04x}-{:04x}-{:04x}-{:012x}", a >> 32, (a >> 16) & 0xffff,
                     a & 0xffff, b >> 48, b & 0xffffffffffffULL);
}

std::string NewExtendedRequestId() {
  char raw[72];
  for (size_t i = 0; i < sizeof(raw); i += 8) {
    uint64_t r = Rng()();
    std::memcpy(raw + i, &r, 8);
  }
  return Base64Encode(std::string_view(raw, sizeof(raw)));
}

}  // namespace

class KinesisHandler::Impl {
 public:
  Impl(Services services, Clock& clock, int workers)
      : services_(services), clock_(clock), pool_(static_cast<size_t>(workers)) {}

  void Handle(HttpRequest req, Responder respond);
  void Stop() { pool_.join(); }

 private:
  HttpResponse Run(const HttpRequest& req, Format format, const Operation& op);
  // A streaming operation: an error response, or 200 with the event stream as its body.
  HttpResponse RunStream(const HttpRequest& req, Format format, const Operation& op);
  void RunAsync(HttpRequest req, Format format, const Operation& op, Responder respond);
  // Parses, authenticates and validates the body into `out`; the error response otherwise.
  std::optional<HttpResponse> Decode(const HttpRequest& req, Format format, const Operation& op,
                                     Value& out) const;
  HttpResponse Respond(int status, Format format, std::string body, const WireError* err) const;
  HttpResponse Error(Format format, const WireError& err) const {
    return Respond(err.http_status, format, ErrorBody(format, err), &err);
  }
  static std::string ErrorBody(Format format, const WireError& err);
  std::optional<WireError> CheckAuth(const HttpRequest& req) const;

  Services services_;
  Clock& clock_;
  boost::asio::thread_pool pool_;
};

void KinesisHandler::Impl::Handle(HttpRequest req, Responder respond) {
  std::optional<Format> format = FormatOf(req.Header("content-type"));
  Format reply_format = format.value_or(Format::kJson);
  if (req.method != "POST" || !format) {
    respond(Error(reply_format, WireError{"UnknownOperationException", "", 404}));
    return;
  }
  std::string_view target = req.Header("x-amz-target");
  const Operation* op = nullptr;
  if (target.substr(0, kTargetPrefix.size()) == kTargetPrefix)
    op = FindOperation(target.substr(kTargetPrefix.size()));
  if (op == nullptr) {
    respond(Error(*format, ToWireError(ApiErrc::kUnknownOperation, "")));
    return;
  }
  if (req.body_too_large) {
    auto err = ToWireError(ApiErrc::kRequestTooLarge, "Request body is larger than the limit.");
    HttpResponse r = Error(*format, err);
    r.close_connection = true;
    respond(std::move(r));
    return;
  }
  if (op->run_async != nullptr) {
    RunAsync(std::move(req), *format, *op, std::move(respond));
    return;
  }
  if (op->run_stream != nullptr) {
    boost::asio::post(pool_, [this, req = std::move(req), respond = std::move(respond), format,
                              op]() mutable { respond(RunStream(req, *format, *op)); });
    return;
  }
  // The request is moved into the task; `this` outlives it because Stop() joins the pool.
  boost::asio::post(pool_, [this, req = std::move(req), respond = std::move(respond), format,
                            op]() mutable { respond(Run(req, *format, *op)); });
}

void KinesisHandler::Impl::RunAsync(HttpRequest req, Format format, const Operation& op,
                                    Responder respond) {
  // `this` outlives the callback: the service completes every append before shutdown.
  auto finish = [this, format, respond](std::optional<WireError> err, std::string out) {
    if (err) return respond(Error(format, *err));
    respond(Respond(200, format, std::move(out), nullptr));
  };
  // The fast path only takes authenticated, valid bodies; errors are left to the general
  // path so they come out in the frontend's order and wording.
  if (format == Format::kJson && op.run_json_fast != nullptr && !CheckAuth(req) &&
      op.run_json_fast(req.body, services_, finish)) {
    return;
  }
  auto value = std::make_shared<Value>();
  if (auto err = Decode(req, format, op, *value)) return respond(std::move(*err));
  op.run_async(std::move(value), format, services_, std::move(finish));
}

std::optional<HttpResponse> KinesisHandler::Impl::Decode(const HttpRequest& req, Format format,
                                                         const Operation& op, Value& out) const {
  auto body = format == Format::kJson ? ReadJson(req.body) : ReadCbor(req.body);
  if (!body.ok()) {
    return Error(format, ToWireError(ApiErrc::kSerialization, body.message()));
  }
  if (auto err = CheckAuth(req)) return Error(format, *err);
  if (auto err = Validate(*body, *InputShape(op.name))) return Error(format, *err);
  out = std::move(*body);
  return std::nullopt;
}

std::optional<WireError> KinesisHandler::Impl::CheckAuth(const HttpRequest& req) const {
  std::string_view auth = req.Header("authorization");
  bool query_auth = req.target.find("X-Amz-Algorithm=") != std::string::npos;
  if (auth.empty() && !query_auth) {
    return ToWireError(ApiErrc::kMissingAuthenticationToken, "Missing Authentication Token");
  }
  if (!auth.empty() && query_auth) {
    return WireError{"InvalidSignatureException",
                     "Found both 'X-Amz-Algorithm' as a query-string param and 'Authorization' "
                     "as HTTP header.",
                     400};
  }
  if (query_auth) return std::nullopt;
  auto parsed = ParseAuthorization(auth);
  if (!parsed.ok()) return ToWireError(ApiErrc::kIncompleteSignature, parsed.message());
  if (!req.HasHeader("x-amz-date") && !req.HasHeader("date")) {
    return ToWireError(ApiErrc::kIncompleteSignature,
                       fmt::format("Authorization header requires existence of either a "
                                   "'X-Amz-Date' or a 'Date' header. Authorization={}",
                                   auth));
  }
  return std::nullopt;
}

HttpResponse KinesisHandler::Impl::Run(const HttpRequest& req, Format format, const Operation& op) {
  Value body;
  if (auto err = Decode(req, format, op, body)) return std::move(*err);
  if (services_.rates != nullptr) {
    // Per-stream rates are counted by the name the request gives (or its ARN).
    std::string_view stream;
    const Value* name = body.Find("StreamName");
    const Value* arn = body.Find("StreamARN");
    const Value* consumer = body.Find("ConsumerARN");
    if (name != nullptr && name->kind() == Value::Kind::kString) {
      stream = name->as_string();
    } else if (arn != nullptr && arn->kind() == Value::Kind::kString) {
      stream = arn->as_string();
      stream = stream.substr(stream.rfind('/') + 1);  // arn:...:stream/<name>
    } else if (consumer != nullptr && consumer->kind() == Value::Kind::kString) {
      stream = StreamOfConsumerArn(consumer->as_string());
    }
    if (auto st = services_.rates->Admit(op.name, stream); !st.ok()) {
      return Error(format, ToWireError(st.code(), st.message()));
    }
  }
  std::unique_ptr<Writer> out = NewWriter(format);
  if (auto err = op.run(body, format, services_, *out)) return Error(format, *err);
  return Respond(200, format, op.has_output ? out->Finish() : std::string(), nullptr);
}

HttpResponse KinesisHandler::Impl::RunStream(const HttpRequest& req, Format format,
                                             const Operation& op) {
  Value body;
  if (auto err = Decode(req, format, op, body)) return std::move(*err);
  StreamProducer producer;
  if (auto err = op.run_stream(body, format, services_, &producer)) return Error(format, *err);
  HttpResponse r = Respond(200, format, std::string(), nullptr);
  for (auto& [name, value] : r.headers) {
    if (name == "content-type") value = "application/vnd.amazon.eventstream";
  }
  r.stream_body = std::move(producer);
  return r;
}

std::string KinesisHandler::Impl::ErrorBody(Format format, const WireError& err) {
  std::unique_ptr<Writer> w = NewWriter(format);
  w->BeginObject();
  w->Key("__type");
  w->String(err.type);
  if (!err.message.empty()) {
    w->Key("message");
    w->String(err.message);
  }
  w->EndObject();
  return w->Finish();
}

HttpResponse KinesisHandler::Impl::Respond(int status, Format format, std::string body,
                                           const WireError* err) const {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("x-amzn-requestid", NewRequestId());
  r.headers.emplace_back("x-amz-id-2", NewExtendedRequestId());
  r.headers.emplace_back("date", HttpDate(clock_.NowMs()));
  r.headers.emplace_back("content-type", format == Format::kJson ? kJsonType : kCborType);
  if (err != nullptr) r.headers.emplace_back("x-amzn-errortype", err->type);
  return r;
}

KinesisHandler::KinesisHandler(Services services, Clock& clock, int worker_threads)
    : impl_(std::make_unique<Impl>(services, clock, worker_threads)) {}

KinesisHandler::~KinesisHandler() { Stop(); }

void KinesisHandler::Handle(HttpRequest request, Responder respond) {
  impl_->Handle(std::move(request), std::move(respond));
}

void KinesisHandler::Stop() { impl_->Stop(); }

}  // namespace shoal::api
