// SubscribeToShard: binds the request, asks the fan-out for a subscription and, once the
// transport has sent the headers, streams it as application/vnd.amazon.eventstream messages
// (wire-protocol.md §4): an initial-response event first, then SubscribeToShardEvents with
// JSON payloads, or one exception event at the end. A CBOR request (the Java SDK's default)
// gets the same events, except an initial-response with an empty payload and no content type,
// which parses as an empty response in either format ("{}" is not CBOR; wire-protocol.md §2.4).

#include "api/bind.h"
#include "api/codec/event_stream.h"
#include "api/operations.h"
#include "api/record_writer.h"

namespace shoal::api {
namespace {

constexpr char kJsonType[] = "application/json";

std::string EventJson(const service::SubscribeEvent& e) {
  std::unique_ptr<Writer> w = NewWriter(Format::kJson);
  w->Reserve(EstimateRecordsBytes(e.batch));
  w->BeginObject();
  WriteRecords(*w, e.batch);
  if (e.continuation) {
    w->Key("ContinuationSequenceNumber");
    w->String(*e.continuation);
  }
  w->Key("MillisBehindLatest");
  w->Int(e.batch.millis_behind_latest);
  if (!e.batch.child_shards.empty()) {
    w->Key("ChildShards");
    WriteChildShards(*w, e.batch.child_shards);
  }
  w->EndObject();
  return w->Finish();
}

std::string InitialResponse(Format format) {
  if (format != Format::kCbor) return EncodeEvent("initial-response", kJsonType, "{}");
  std::string out;
  EncodeEventMessage({{":message-type", "event"}, {":event-type", "initial-response"}}, "", &out);
  return out;
}

// A subscription's events, framed into the response body.
class BodyEventSink final : public service::EventSink {
 public:
  explicit BodyEventSink(std::shared_ptr<BodySink> body) : body_(std::move(body)) {}

  bool SendEvent(const service::SubscribeEvent& event) override {
    return body_->Write(EncodeEvent("SubscribeToShardEvent", kJsonType, EventJson(event)));
  }
  void SendError(const service::SvcStatus& error) override {
    WireError wire = ToWireError(error.code(), error.message());
    std::unique_ptr<Writer> w = NewWriter(Format::kJson);
    w->BeginObject();
    w->Key("message");
    w->String(wire.message);
    w->EndObject();
    body_->Write(EncodeException(wire.type, w->Finish()));
    body_->Finish();
  }
  void End() override { body_->Finish(); }
  size_t Buffered() const override { return body_->Buffered(); }
  void NotifyWhenDrained(size_t low_water, std::function<void()> fn) override {
    body_->NotifyWhenDrained(low_water, std::move(fn));
  }
  bool Closed() const override { return body_->Closed(); }
  void NotifyWhenClosed(std::function<void()> fn) override {
    body_->NotifyWhenClosed(std::move(fn));
  }

 private:
  std::shared_ptr<BodySink> body_;
};

std::optional<WireError> SubscribeToShard(const Value& in, Format format, Services& svc,
                                          StreamProducer* out) {
  if (svc.fanout == nullptr) return ToWireError(ApiErrc::kUnknownOperation, "");
  service::SubscribeRequest r;
  r.consumer_arn = *OptString(in, "ConsumerARN");
  r.shard_id = *OptString(in, "ShardId");
  const Value& position = *in.Find("StartingPosition");
  r.type = *IteratorTypeOf(*OptString(position, "Type"));  // validated against the enum
  r.sequence_number = OptString(position, "SequenceNumber");
  r.timestamp_ms = OptTimestampMs(position, "Timestamp", format);
  auto sub = svc.fanout->Subscribe(r);
  if (!sub.ok()) return ToWireError(sub.code(), sub.message());
  *out = [fanout = svc.fanout, sub = *sub, format](std::shared_ptr<BodySink> body) {
    // First, at once: boto3 and Go require it, and the JS SDK's send() waits for it.
    body->Write(InitialResponse(format));
    fanout->Start(sub, std::make_shared<BodyEventSink>(std::move(body)));
  };
  return std::nullopt;
}

const Operation kOperations[] = {
    {.name = "SubscribeToShard", .has_output = true, .run_stream = SubscribeToShard},
};

}  // namespace

std::span<const Operation> StreamingOperations() { return kOperations; }

}  // namespace shoal::api
