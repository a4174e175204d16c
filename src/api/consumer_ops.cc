// The enhanced fan-out consumer operations (RegisterStreamConsumer, DeregisterStreamConsumer,
// DescribeStreamConsumer, ListStreamConsumers): binding, service call, result encoding.
// SubscribeToShard, the consumers' data operation, lives with the data plane.

#include "api/bind.h"
#include "api/operations.h"

namespace shoal::api {
namespace {

using Outcome = std::optional<WireError>;

const char* ConsumerStatusName(service::ConsumerStatus s) {
  switch (s) {
    case service::ConsumerStatus::kCreating: return "CREATING";
    case service::ConsumerStatus::kActive: return "ACTIVE";
    case service::ConsumerStatus::kDeleting: return "DELETING";
  }
  return "UNKNOWN";
}

// The members of the model's Consumer structure (ConsumerDescription adds StreamARN).
void WriteConsumerMembers(Writer& w, const service::ConsumerInfo& c) {
  w.Key("ConsumerName");
  w.String(c.name);
  w.Key("ConsumerARN");
  w.String(c.arn);
  w.Key("ConsumerStatus");
  w.String(ConsumerStatusName(c.status));
  w.Key("ConsumerCreationTimestamp");
  w.TimestampMs(c.created_ms);
}

service::ConsumerRef ConsumerRefOf(const Value& in) {
  return {OptString(in, "StreamARN"), OptString(in, "ConsumerName"), OptString(in, "ConsumerARN")};
}

Outcome RegisterStreamConsumer(const Value& in, Format, Services& svc, Writer& w) {
  service::RegisterStreamConsumerRequest r;
  r.stream_arn = *OptString(in, "StreamARN");
  r.consumer_name = *OptString(in, "ConsumerName");
  r.tags = TagMapOf(in, "Tags");
  auto res = svc.streams.RegisterStreamConsumer(r);
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("Consumer");
  w.BeginObject();
  WriteConsumerMembers(w, *res);
  w.EndObject();
  w.EndObject();
  return std::nullopt;
}

Outcome DeregisterStreamConsumer(const Value& in, Format, Services& svc, Writer&) {
  auto st = svc.streams.DeregisterStreamConsumer(ConsumerRefOf(in));
  if (!st.ok()) return ToWireError(st.code(), st.message());
  return std::nullopt;
}

Outcome DescribeStreamConsumer(const Value& in, Format, Services& svc, Writer& w) {
  auto res = svc.streams.DescribeStreamConsumer(ConsumerRefOf(in));
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("ConsumerDescription");
  w.BeginObject();
  WriteConsumerMembers(w, *res);
  w.Key("StreamARN");
  w.String(res->stream_arn);
  w.EndObject();
  w.EndObject();
  return std::nullopt;
}

Outcome ListStreamConsumers(const Value& in, Format format, Services& svc, Writer& w) {
  service::ListStreamConsumersRequest r;
  r.stream_arn = *OptString(in, "StreamARN");
  r.next_token = OptString(in, "NextToken");
  r.max_results = OptInt(in, "MaxResults");
  r.stream_creation_timestamp_ms = OptTimestampMs(in, "StreamCreationTimestamp", format);
  auto res = svc.streams.ListStreamConsumers(r);
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("Consumers");
  w.BeginArray();
  for (const auto& c : res->consumers) {
    w.BeginObject();
    WriteConsumerMembers(w, c);
    w.EndObject();
  }
  w.EndArray();
  if (res->next_token) {
    w.Key("NextToken");
    w.String(*res->next_token);
  }
  w.EndObject();
  return std::nullopt;
}

constexpr Operation kOperations[] = {
    {"DeregisterStreamConsumer", false, DeregisterStreamConsumer},
    {"DescribeStreamConsumer", true, DescribeStreamConsumer},
    {"ListStreamConsumers", true, ListStreamConsumers},
    {"RegisterStreamConsumer", true, RegisterStreamConsumer},
};

}  // namespace

std::span<const Operation> ConsumerOperations() { return kOperations; }

}  // namespace shoal::api
