#include "api/record_writer.h"

#include "common/uint128.h"

namespace shoal::api {

size_t EstimateRecordsBytes(const service::GetRecordsResult& batch) {
  size_t bytes = 1024;
  for (const auto& rec : batch.records) bytes += rec.data.size() * 4 / 3 + rec.partition_key.size() + 160;
  return bytes;
}

void WriteRecords(Writer& w, const service::GetRecordsResult& batch) {
  w.Key("Records");
  w.BeginArray();
  for (const auto& rec : batch.records) {
    w.BeginObject();
    w.Key("SequenceNumber");
    w.String(rec.sequence_number);
    w.Key("ApproximateArrivalTimestamp");
    w.TimestampMs(rec.arrival_ms);
    w.Key("Data");
    w.Blob(rec.data);
    w.Key("PartitionKey");
    w.String(rec.partition_key);
    if (batch.encryption == meta::EncryptionType::kKms) {
      w.Key("EncryptionType");
      w.String("KMS");
    }
    w.EndObject();
  }
  w.EndArray();
}

void WriteChildShards(Writer& w, const std::vector<service::ChildShardInfo>& children) {
  w.BeginArray();
  for (const auto& c : children) {
    w.BeginObject();
    w.Key("ShardId");
    w.String(c.shard_id);
    w.Key("ParentShards");
    w.BeginArray();
    for (const auto& p : c.parent_shards) w.String(p);
    w.EndArray();
    w.Key("HashKeyRange");
    w.BeginObject();
    w.Key("StartingHashKey");
    w.String(FormatUint128(c.starting_hash_key));
    w.Key("EndingHashKey");
    w.String(FormatUint128(c.ending_hash_key));
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
}

}  // namespace shoal::api
