#pragma once
// Kinesis JSON 1.1 request bodies and just enough response parsing for the load generator:
// counts, iterators and sequence numbers, read in place with simdjson's On-Demand API.
// A ResponseParser is not thread-safe (one per worker thread); results that outlive the
// buffer (iterators, sequence numbers) are copied into caller-owned strings whose capacity
// is reused.

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "connection.h"

namespace shoal::loadgen {

// Appends `s` as a JSON string literal (quotes included).
void AppendJsonString(std::string& out, std::string_view s);

void BuildStreamNameBody(std::string& out, std::string_view stream);  // {"StreamName":"s"}
void BuildCreateStream(std::string& out, std::string_view stream, int shards);
void BuildDeleteStream(std::string& out, std::string_view stream);
void BuildListShards(std::string& out, std::string_view stream, std::string_view next_token);
// `type` is TRIM_HORIZON, LATEST, AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER.
void BuildGetShardIterator(std::string& out, std::string_view stream, std::string_view shard_id,
                           std::string_view type, std::string_view sequence_number = {});
void BuildGetRecords(std::string& out, std::string_view iterator, int limit);
void BuildRegisterStreamConsumer(std::string& out, std::string_view stream_arn,
                                 std::string_view consumer_name);
// By ConsumerARN when `consumer_arn` is set, else by StreamARN + ConsumerName.
void BuildDescribeStreamConsumer(std::string& out, std::string_view consumer_arn,
                                 std::string_view stream_arn, std::string_view consumer_name);
// `type` is LATEST, or AFTER_SEQUENCE_NUMBER with `sequence_number`.
void BuildSubscribeToShard(std::string& out, std::string_view consumer_arn, std::string_view shard_id,
                           std::string_view type, std::string_view sequence_number = {});
void BuildPutRecord(std::string& out, std::string_view stream, std::string_view partition_key,
                    std::string_view data_base64, std::string_view explicit_hash_key = {});

// Decoded size of a base64 text (padding or not).
size_t Base64DecodedSize(std::string_view b64);
// Compares two decimal sequence numbers as integers.
int CompareSequenceNumbers(std::string_view a, std::string_view b);

// AWS error code from an `x-amzn-ErrorType` or `__type` value: drops a "prefix#" and a
// ":suffix" as the SDKs do.
std::string_view CleanErrorType(std::string_view raw);

struct PutRecordsResult {
  uint64_t records = 0;     // entries in the response
  uint64_t failed = 0;      // FailedRecordCount
  uint64_t throttled = 0;   // entries with ProvisionedThroughputExceededException
  uint64_t internal = 0;    // entries with InternalFailure
  std::string other_code;   // the first other ErrorCode seen, if any
  uint64_t other = 0;
};

struct PutRecordResult {
  std::string shard_id;
  std::string sequence_number;
};

struct GetRecordsResult {
  uint64_t records = 0;
  uint64_t data_bytes = 0;        // decoded record data
  std::string next_iterator;      // empty when null or absent (closed shard at its end)
  int64_t millis_behind = -1;
  bool found = false;             // a record with the wanted sequence number was present
  bool passed = false;            // a record with a higher sequence number was present
};

struct StreamSummary {
  std::string status;
  std::string arn;
  int64_t open_shards = -1;
};

class ResponseParser {
 public:
  // Each returns false when the body is not the expected JSON.
  bool PutRecords(Buffer& body, PutRecordsResult& out);
  bool PutRecord(Buffer& body, PutRecordResult& out);
  bool GetShardIterator(Buffer& body, std::string& iterator);
  // `want` (may be empty): a sequence number to look for (sets found/passed).
  bool GetRecords(Buffer& body, std::string_view want, GetRecordsResult& out);
  bool DescribeStreamSummary(Buffer& body, StreamSummary& out);
  // Appends the shard ids and their starting hash keys; sets next_token (empty at the end).
  bool ListShards(Buffer& body, std::vector<std::string>& shard_ids,
                  std::vector<std::string>& starting_hash_keys, std::string& next_token);
  // The `__type` of an error body, cleaned; empty when absent.
  std::string ErrorType(Buffer& body);

 private:
  simdjson::ondemand::parser parser_;
};

struct ConsumerInfo {
  std::string arn;
  std::string status;  // CREATING, ACTIVE, DELETING
};
// RegisterStreamConsumer ({"Consumer":{...}}) or DescribeStreamConsumer
// ({"ConsumerDescription":{...}}) answers; false when neither has a ConsumerARN.
bool ParseConsumer(std::string_view body, ConsumerInfo& out);

struct SubscribeEvent {
  std::vector<std::string> sequence_numbers;  // of the records in the event
  std::string continuation;                   // ContinuationSequenceNumber ("" if absent)
};
// The JSON payload of a SubscribeToShardEvent; false when it is not one.
bool ParseSubscribeEvent(std::string_view payload, SubscribeEvent& out);

// The error a finished call counts as: its transport error, else the cleaned
// x-amzn-ErrorType header, else the body's __type, else "HTTP <status>"; empty when it is a
// success (200).
std::string ErrorOf(Call& call, ResponseParser& parser);

inline constexpr std::string_view kThrottled = "ProvisionedThroughputExceededException";

}  // namespace shoal::loadgen
