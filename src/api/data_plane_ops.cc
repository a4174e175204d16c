// The data-plane operations: PutRecord and PutRecords (asynchronous: they answer once the
// records are durable), GetShardIterator and GetRecords.

#include <array>

#include "api/bind.h"
#include "api/operations.h"
#include "api/put_records_fast.h"
#include "api/record_writer.h"

namespace shoal::api {
namespace {

using Outcome = std::optional<WireError>;

service::PutEntry EntryOf(const Value& v) {
  service::PutEntry e;
  e.partition_key = v.Find("PartitionKey")->as_string();
  e.data = v.Find("Data")->as_string();  // decoded to bytes by validation
  if (const Value* h = v.Find("ExplicitHashKey"); h && !h->is_null()) e.explicit_hash_key = h->as_string();
  return e;
}

void WriteEncryption(Writer& w, meta::EncryptionType e) {
  w.Key("EncryptionType");
  w.String(EncryptionTypeName(e));
}

void PutRecord(std::shared_ptr<Value> body, Format format, Services& svc, AsyncDone done) {
  service::PutRecordsRequest r;
  r.single = true;
  r.stream = StreamRefOf(*body);
  r.entries.push_back(EntryOf(*body));
  r.sequence_number_for_ordering = OptString(*body, "SequenceNumberForOrdering");
  // `body` rides along in the callback: the entries point into it.
  svc.data.PutRecords(std::move(r), [body, format, done = std::move(done)](
                                        service::SvcResult<service::PutRecordsResult> res) {
    if (!res.ok()) return done(ToWireError(res.code(), res.message()), "");
    const service::PutResultEntry& e = res->entries[0];
    std::unique_ptr<Writer> w = NewWriter(format);
    w->BeginObject();
    w->Key("ShardId");
    w->String(e.shard_id);
    w->Key("SequenceNumber");
    w->String(e.sequence_number);
    WriteEncryption(*w, res->encryption);
    w->EndObject();
    done(std::nullopt, w->Finish());
  });
}

// Answers a PutRecords call; `keepalive` owns the memory the request's entries point into.
void SubmitPutRecords(service::PutRecordsRequest r, std::shared_ptr<const void> keepalive,
                      Format format, Services& svc, AsyncDone done) {
  svc.data.PutRecords(std::move(r), [keepalive, format, done = std::move(done)](
                                        service::SvcResult<service::PutRecordsResult> res) {
    if (!res.ok()) return done(ToWireError(res.code(), res.message()), "");
    std::unique_ptr<Writer> w = NewWriter(format);
    w->Reserve(64 + res->entries.size() * 110);
    w->BeginObject();
    w->Key("FailedRecordCount");
    w->Int(res->failed_count);
    w->Key("Records");
    w->BeginArray();
    for (const auto& e : res->entries) {
      w->BeginObject();
      if (e.ok()) {
        w->Key("SequenceNumber");
        w->String(e.sequence_number);
        w->Key("ShardId");
        w->String(e.shard_id);
      } else {
        w->Key("ErrorCode");
        w->String(e.error_code);
        w->Key("ErrorMessage");
        w->String(e.error_message);
      }
      w->EndObject();
    }
    w->EndArray();
    WriteEncryption(*w, res->encryption);
    w->EndObject();
    done(std::nullopt, w->Finish());
  });
}

void PutRecords(std::shared_ptr<Value> body, Format format, Services& svc, AsyncDone done) {
  service::PutRecordsRequest r;
  r.stream = StreamRefOf(*body);
  const auto& records = body->Find("Records")->items();
  r.entries.reserve(records.size());
  for (const auto& item : records) r.entries.push_back(EntryOf(item));
  SubmitPutRecords(std::move(r), body, format, svc, std::move(done));
}

bool PutRecordsJsonFast(std::string_view body, Services& svc, AsyncDone done) {
  auto fast = TryDecodePutRecordsJson(body);
  if (!fast) return false;
  SubmitPutRecords(std::move(fast->request), fast->arena, Format::kJson, svc, std::move(done));
  return true;
}

Outcome GetShardIterator(const Value& in, Format format, Services& svc, Writer& w) {
  service::GetShardIteratorRequest r;
  r.stream = StreamRefOf(in);
  r.shard_id = *OptString(in, "ShardId");
  r.type = *IteratorTypeOf(*OptString(in, "ShardIteratorType"));  // validated against the enum
  r.starting_sequence_number = OptString(in, "StartingSequenceNumber");
  r.timestamp_ms = OptTimestampMs(in, "Timestamp", format);
  auto res = svc.data.GetShardIterator(r);
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.BeginObject();
  w.Key("ShardIterator");
  w.String(*res);
  w.EndObject();
  return std::nullopt;
}

Outcome GetRecords(const Value& in, Format, Services& svc, Writer& w) {
  service::GetRecordsRequest r;
  r.shard_iterator = *OptString(in, "ShardIterator");
  r.limit = OptInt(in, "Limit");
  r.stream_arn = OptString(in, "StreamARN");
  auto res = svc.data.GetRecords(r);
  if (!res.ok()) return ToWireError(res.code(), res.message());
  w.Reserve(EstimateRecordsBytes(*res));
  w.BeginObject();
  WriteRecords(w, *res);
  if (res->next_shard_iterator) {
    w.Key("NextShardIterator");
    w.String(*res->next_shard_iterator);
  }
  w.Key("MillisBehindLatest");
  w.Int(res->millis_behind_latest);
  if (!res->child_shards.empty()) {
    w.Key("ChildShards");
    WriteChildShards(w, res->child_shards);
  }
  w.EndObject();
  return std::nullopt;
}

const Operation kOperations[] = {
    {"GetRecords", true, GetRecords, nullptr},
    {"GetShardIterator", true, GetShardIterator, nullptr},
    {"PutRecord", true, nullptr, PutRecord},
    {"PutRecords", true, nullptr, PutRecords, PutRecordsJsonFast},
};

}  // namespace

std::span<const Operation> DataPlaneOperations() { return kOperations; }

}  // namespace shoal::api
