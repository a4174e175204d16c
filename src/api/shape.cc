#include "api/shape.h"

#include <map>
#include <regex>

namespace shoal::api {
namespace {

using T = Shape::Type;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

bool MatchesName(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (!IsNameChar(c)) return false;
  return true;
}

// 0|([1-9]\d{0,max_extra})
bool MatchesDecimal(std::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return false;
  if (s[0] == '0') return s.size() == 1;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

bool MatchesRegex(const std::regex& re, std::string_view s) {
  return std::regex_match(s.begin(), s.end(), re);
}

const Pattern kNamePattern{"[a-zA-Z0-9_.-]+", MatchesName};
const Pattern kHashKeyPattern{"0|([1-9]\\d{0,38})",
                              [](std::string_view s) { return MatchesDecimal(s, 39); }};
const Pattern kSequenceNumberPattern{"0|([1-9]\\d{0,128})",
                                     [](std::string_view s) { return MatchesDecimal(s, 129); }};
const Pattern kStreamArnPattern{"arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+", [](std::string_view s) {
  static const std::regex re("arn:aws.*:kinesis:.*:\\d{12}:stream/\\S+");
  return MatchesRegex(re, s);
}};
const Pattern kResourceArnPattern{
    "arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+", [](std::string_view s) {
      static const std::regex re("arn:aws.*:kinesis:.*:\\d{12}:.*stream/\\S+");
      return MatchesRegex(re, s);
    }};
const Pattern kConsumerArnPattern{
    "^(arn):aws.*:kinesis:.*:\\d{12}:.*stream\\/[a-zA-Z0-9_.-]+\\/consumer\\/[a-zA-Z0-9_.-]+:[0-9]+",
    [](std::string_view s) {
      static const std::regex re(
          "(arn):aws.*:kinesis:.*:\\d{12}:.*stream/[a-zA-Z0-9_.-]+/consumer/[a-zA-Z0-9_.-]+:[0-9]+");
      return MatchesRegex(re, s);
    }};
const Pattern kStreamIdPattern{"[a-z0-9]{20}-[a-z0-9]{3}", [](std::string_view s) {
  static const std::regex re("[a-z0-9]{20}-[a-z0-9]{3}");
  return MatchesRegex(re, s);
}};

Shape String(int64_t min, std::optional<int64_t> max, const Pattern* p = nullptr) {
  Shape s;
  s.type = T::kString;
  s.min = min;
  s.max = max;
  s.pattern = p;
  return s;
}
Shape Enum(std::vector<std::string> values) {
  Shape s;
  s.type = T::kString;
  s.enum_values = std::move(values);
  return s;
}
Shape Number(T type, std::optional<int64_t> min, std::optional<int64_t> max) {
  Shape s;
  s.type = type;
  s.min = min;
  s.max = max;
  return s;
}
Shape Blob(int64_t min, int64_t max) {
  Shape s;
  s.type = T::kBlob;
  s.min = min;
  s.max = max;
  return s;
}
Shape Simple(T type) {
  Shape s;
  s.type = type;
  return s;
}
Shape List(const Shape* item, std::optional<int64_t> min, std::optional<int64_t> max) {
  Shape s;
  s.type = T::kList;
  s.member = item;
  s.min = min;
  s.max = max;
  return s;
}
Shape Map(const Shape* key, const Shape* value, int64_t min, int64_t max) {
  Shape s;
  s.type = T::kMap;
  s.key = key;
  s.member = value;
  s.min = min;
  s.max = max;
  return s;
}
Shape Struct(std::vector<Field> fields) {
  Shape s;
  s.type = T::kStructure;
  s.fields = std::move(fields);
  return s;
}

// The scalar and structure shapes of the model (spec §2.3), built once.
struct Model {
  Shape stream_name = String(1, 128, &kNamePattern);
  Shape stream_arn = String(1, 2048, &kStreamArnPattern);
  Shape resource_arn = String(1, 2048, &kResourceArnPattern);
  Shape stream_id = String(1, 24, &kStreamIdPattern);
  Shape consumer_name = String(1, 128, &kNamePattern);
  Shape consumer_arn = String(1, 2048, &kConsumerArnPattern);
  Shape shard_id = String(1, 128, &kNamePattern);
  Shape hash_key = String(0, std::nullopt, &kHashKeyPattern);
  Shape sequence_number = String(0, std::nullopt, &kSequenceNumberPattern);
  Shape next_token = String(1, 1048576);
  Shape tag_key = String(1, 128);
  Shape tag_value = String(0, 256);
  Shape tag_map = Map(&tag_key, &tag_value, 1, 200);
  Shape tag_key_list = List(&tag_key, 1, 50);
  Shape positive_int = Number(T::kInteger, 1, std::nullopt);
  Shape natural_int = Number(T::kInteger, 0, std::nullopt);
  Shape plain_int = Number(T::kInteger, std::nullopt, std::nullopt);
  Shape limit_10000 = Number(T::kInteger, 1, 10000);
  Shape limit_50 = Number(T::kInteger, 1, 50);
  Shape max_record_size = Number(T::kInteger, 1024, 10240);
  Shape boolean = Simple(T::kBoolean);
  Shape timestamp = Simple(T::kTimestamp);
  Shape stream_mode = Enum({"PROVISIONED", "ON_DEMAND"});
  Shape stream_mode_details = Struct({{"StreamMode", &stream_mode, true}});
  Shape shard_filter_type = Enum({"AFTER_SHARD_ID", "AT_TRIM_HORIZON", "FROM_TRIM_HORIZON",
                                  "AT_LATEST", "AT_TIMESTAMP", "FROM_TIMESTAMP"});
  Shape shard_filter = Struct({{"Type", &shard_filter_type, true},
                               {"ShardId", &shard_id, false},
                               {"Timestamp", &timestamp, false}});
  Shape metrics_name = Enum({"IncomingBytes", "IncomingRecords", "OutgoingBytes",
                             "OutgoingRecords", "WriteProvisionedThroughputExceeded",
                             "ReadProvisionedThroughputExceeded", "IteratorAgeMilliseconds",
                             "ALL"});
  Shape metrics_list = List(&metrics_name, 1, 7);
  Shape data = Blob(0, 10485760);
  Shape partition_key = String(1, 256);
  Shape shard_iterator = String(1, 512);
  Shape iterator_type = Enum({"AT_SEQUENCE_NUMBER", "AFTER_SEQUENCE_NUMBER", "TRIM_HORIZON",
                              "LATEST", "AT_TIMESTAMP"});
  Shape put_entry = Struct({{"Data", &data, true},
                            {"ExplicitHashKey", &hash_key, false},
                            {"PartitionKey", &partition_key, true}});
  Shape put_entries = List(&put_entry, 1, 500);
  Shape scaling_type = Enum({"UNIFORM_SCALING"});
  Shape starting_position = Struct({{"Type", &iterator_type, true},
                                    {"SequenceNumber", &sequence_number, false},
                                    {"Timestamp", &timestamp, false}});

  Field StreamName() { return {"StreamName", &stream_name, false}; }
  Field StreamARN() { return {"StreamARN", &stream_arn, false}; }
  Field StreamId() { return {"StreamId", &stream_id, false}; }

  std::map<std::string, Shape, std::less<>> inputs;

  Model() {
    inputs["CreateStream"] = Struct({{"StreamName", &stream_name, true},
                                     {"ShardCount", &positive_int, false},
                                     {"StreamModeDetails", &stream_mode_details, false},
                                     {"Tags", &tag_map, false},
                                     {"WarmThroughputMiBps", &natural_int, false},
                                     {"MaxRecordSizeInKiB", &max_record_size, false}});
    inputs["DeleteStream"] = Struct({StreamName(), {"EnforceConsumerDeletion", &boolean, false},
                                     StreamARN(), StreamId()});
    inputs["DescribeStream"] = Struct({StreamName(), {"Limit", &limit_10000, false},
                                       {"ExclusiveStartShardId", &shard_id, false}, StreamARN(),
                                       StreamId()});
    inputs["DescribeStreamSummary"] = Struct({StreamName(), StreamARN(), StreamId()});
    inputs["ListStreams"] = Struct({{"Limit", &limit_10000, false},
                                    {"ExclusiveStartStreamName", &stream_name, false},
                                    {"NextToken", &next_token, false}});
    inputs["ListShards"] = Struct({StreamName(), {"NextToken", &next_token, false},
                                   {"ExclusiveStartShardId", &shard_id, false},
                                   {"MaxResults", &limit_10000, false},
                                   {"StreamCreationTimestamp", &timestamp, false},
                                   {"ShardFilter", &shard_filter, false}, StreamARN(),
                                   StreamId()});
    Shape retention = Struct({StreamName(), {"RetentionPeriodHours", &plain_int, true},
                              StreamARN(), StreamId()});
    inputs["IncreaseStreamRetentionPeriod"] = retention;
    inputs["DecreaseStreamRetentionPeriod"] = retention;
    inputs["AddTagsToStream"] =
        Struct({StreamName(), {"Tags", &tag_map, true}, StreamARN(), StreamId()});
    inputs["RemoveTagsFromStream"] =
        Struct({StreamName(), {"TagKeys", &tag_key_list, true}, StreamARN(), StreamId()});
    inputs["ListTagsForStream"] = Struct({StreamName(),
                                          {"ExclusiveStartTagKey", &tag_key, false},
                                          {"Limit", &limit_50, false}, StreamARN(), StreamId()});
    inputs["TagResource"] = Struct({{"Tags", &tag_map, true},
                                    {"ResourceARN", &resource_arn, true}, StreamId()});
    inputs["UntagResource"] = Struct({{"TagKeys", &tag_key_list, true},
                                      {"ResourceARN", &resource_arn, true}, StreamId()});
    inputs["ListTagsForResource"] =
        Struct({{"ResourceARN", &resource_arn, true}, StreamId()});
    Shape monitoring = Struct({StreamName(), {"ShardLevelMetrics", &metrics_list, true},
                               StreamARN(), StreamId()});
    inputs["EnableEnhancedMonitoring"] = monitoring;
    inputs["DisableEnhancedMonitoring"] = monitoring;
    inputs["PutRecord"] = Struct({StreamName(), {"Data", &data, true},
                                  {"PartitionKey", &partition_key, true},
                                  {"ExplicitHashKey", &hash_key, false},
                                  {"SequenceNumberForOrdering", &sequence_number, false},
                                  StreamARN(), StreamId()});
    inputs["PutRecords"] =
        Struct({{"Records", &put_entries, true}, StreamName(), StreamARN(), StreamId()});
    inputs["GetShardIterator"] = Struct({StreamName(), {"ShardId", &shard_id, true},
                                         {"ShardIteratorType", &iterator_type, true},
                                         {"StartingSequenceNumber", &sequence_number, false},
                                         {"Timestamp", &timestamp, false}, StreamARN(),
                                         StreamId()});
    inputs["GetRecords"] = Struct({{"ShardIterator", &shard_iterator, true},
                                   {"Limit", &limit_10000, false}, StreamARN(), StreamId()});
    inputs["SplitShard"] = Struct({StreamName(), {"ShardToSplit", &shard_id, true},
                                   {"NewStartingHashKey", &hash_key, true}, StreamARN(),
                                   StreamId()});
    inputs["MergeShards"] = Struct({StreamName(), {"ShardToMerge", &shard_id, true},
                                    {"AdjacentShardToMerge", &shard_id, true}, StreamARN(),
                                    StreamId()});
    inputs["UpdateShardCount"] = Struct({StreamName(), {"TargetShardCount", &positive_int, true},
                                         {"ScalingType", &scaling_type, true}, StreamARN(),
                                         StreamId()});
    inputs["UpdateStreamMode"] = Struct({{"StreamARN", &stream_arn, true}, StreamId(),
                                         {"StreamModeDetails", &stream_mode_details, true},
                                         {"WarmThroughputMiBps", &natural_int, false}});
    inputs["RegisterStreamConsumer"] = Struct({{"StreamARN", &stream_arn, true},
                                               {"ConsumerName", &consumer_name, true},
                                               StreamId(), {"Tags", &tag_map, false}});
    Shape consumer_ref = Struct({StreamARN(), {"ConsumerName", &consumer_name, false},
                                 {"ConsumerARN", &consumer_arn, false}, StreamId()});
    inputs["DeregisterStreamConsumer"] = consumer_ref;
    inputs["DescribeStreamConsumer"] = consumer_ref;
    inputs["ListStreamConsumers"] = Struct({{"StreamARN", &stream_arn, true},
                                            {"NextToken", &next_token, false},
                                            {"MaxResults", &limit_10000, false},
                                            {"StreamCreationTimestamp", &timestamp, false},
                                            StreamId()});
    inputs["SubscribeToShard"] = Struct({{"ConsumerARN", &consumer_arn, true},
                                         {"ShardId", &shard_id, true},
                                         {"StartingPosition", &starting_position, true},
                                         StreamId()});
    inputs["DescribeLimits"] = Struct({});
    inputs["DescribeAccountSettings"] = Struct({});
  }
};

const Model& TheModel() {
  static const Model* model = new Model();  // never destroyed: shapes are referenced forever
  return *model;
}

}  // namespace

const Shape* InputShape(std::string_view operation) {
  const auto& inputs = TheModel().inputs;
  auto it = inputs.find(operation);
  return it == inputs.end() ? nullptr : &it->second;
}

}  // namespace shoal::api
