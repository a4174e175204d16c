#include "kinesis.h"

#include <fmt/format.h>

namespace shoal::loadgen {
namespace {

namespace od = simdjson::ondemand;

simdjson::padded_string_view View(Buffer& b) {
  return simdjson::padded_string_view(b.data() ? b.data() : "", b.size(),
                                      b.data() ? b.capacity() + Buffer::kPadding : 0);
}

// Trims the whitespace simdjson leaves after a raw token and the surrounding quotes.
std::string_view RawStringContent(std::string_view token) {
  while (!token.empty() && (token.back() == ' ' || token.back() == '\n' || token.back() == '\r' ||
                            token.back() == '\t')) {
    token.remove_suffix(1);
  }
  if (token.size() >= 2 && token.front() == '"' && token.back() == '"') {
    token = token.substr(1, token.size() - 2);
  }
  return token;
}

bool GetString(od::value v, std::string& out) {
  std::string_view s;
  if (v.get_string().get(s)) return false;
  out.assign(s);
  return true;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  out.push_back('"');
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20) {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
    } else {
      out.push_back(ch);
    }
  }
  out.push_back('"');
}

void BuildStreamNameBody(std::string& out, std::string_view stream) {
  out = "{\"StreamName\":";
  AppendJsonString(out, stream);
  out += "}";
}

void BuildCreateStream(std::string& out, std::string_view stream, int shards) {
  out = "{\"StreamName\":";
  AppendJsonString(out, stream);
  fmt::format_to(std::back_inserter(out), ",\"ShardCount\":{}}}", shards);
}

void BuildDeleteStream(std::string& out, std::string_view stream) {
  out = "{\"StreamName\":";
  AppendJsonString(out, stream);
  out += ",\"EnforceConsumerDeletion\":true}";
}

void BuildListShards(std::string& out, std::string_view stream, std::string_view next_token) {
  if (next_token.empty()) {
    out = "{\"StreamName\":";
    AppendJsonString(out, stream);
  } else {
    out = "{\"NextToken\":";
    AppendJsonString(out, next_token);
  }
  out += "}";
}

void BuildGetShardIterator(std::string& out, std::string_view stream, std::string_view shard_id,
                           std::string_view type, std::string_view sequence_number) {
  out = "{\"StreamName\":";
  AppendJsonString(out, stream);
  out += ",\"ShardId\":";
  AppendJsonString(out, shard_id);
  out += ",\"ShardIteratorType\":";
  AppendJsonString(out, type);
  if (!sequence_number.empty()) {
    out += ",\"StartingSequenceNumber\":";
    AppendJsonString(out, sequence_number);
  }
  out += "}";
}

void BuildGetRecords(std::string& out, std::string_view iterator, int limit) {
  out.clear();
  out += "{\"ShardIterator\":";
  AppendJsonString(out, iterator);
  fmt::format_to(std::back_inserter(out), ",\"Limit\":{}}}", limit);
}

void BuildRegisterStreamConsumer(std::string& out, std::string_view stream_arn,
                                 std::string_view consumer_name) {
  out = "{\"StreamARN\":";
  AppendJsonString(out, stream_arn);
  out += ",\"ConsumerName\":";
  AppendJsonString(out, consumer_name);
  out += "}";
}

void BuildDescribeStreamConsumer(std::string& out, std::string_view consumer_arn,
                                 std::string_view stream_arn, std::string_view consumer_name) {
  if (!consumer_arn.empty()) {
    out = "{\"ConsumerARN\":";
    AppendJsonString(out, consumer_arn);
    out += "}";
    return;
  }
  BuildRegisterStreamConsumer(out, stream_arn, consumer_name);
}

void BuildSubscribeToShard(std::string& out, std::string_view consumer_arn, std::string_view shard_id,
                           std::string_view type, std::string_view sequence_number) {
  out = "{\"ConsumerARN\":";
  AppendJsonString(out, consumer_arn);
  out += ",\"ShardId\":";
  AppendJsonString(out, shard_id);
  out += ",\"StartingPosition\":{\"Type\":";
  AppendJsonString(out, type);
  if (!sequence_number.empty()) {
    out += ",\"SequenceNumber\":";
    AppendJsonString(out, sequence_number);
  }
  out += "}}";
}

void BuildPutRecord(std::string& out, std::string_view stream, std::string_view partition_key,
                    std::string_view data_base64, std::string_view explicit_hash_key) {
  out = "{\"StreamName\":";
  AppendJsonString(out, stream);
  out += ",\"Data\":\"";
  out += data_base64;
  out += "\",\"PartitionKey\":";
  AppendJsonString(out, partition_key);
  if (!explicit_hash_key.empty()) {
    out += ",\"ExplicitHashKey\":";
    AppendJsonString(out, explicit_hash_key);
  }
  out += "}";
}

size_t Base64DecodedSize(std::string_view b64) {
  while (!b64.empty() && b64.back() == '=') b64.remove_suffix(1);
  return b64.size() * 3 / 4;
}

int CompareSequenceNumbers(std::string_view a, std::string_view b) {
  while (a.size() > 1 && a.front() == '0') a.remove_prefix(1);
  while (b.size() > 1 && b.front() == '0') b.remove_prefix(1);
  if (a.size() != b.size()) return a.size() < b.size() ? -1 : 1;
  int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string_view CleanErrorType(std::string_view raw) {
  if (auto colon = raw.find(':'); colon != std::string_view::npos) raw = raw.substr(0, colon);
  if (auto hash = raw.rfind('#'); hash != std::string_view::npos) raw = raw.substr(hash + 1);
  return raw;
}

bool ResponseParser::PutRecords(Buffer& body, PutRecordsResult& out) {
  out.records = out.failed = out.throttled = out.internal = out.other = 0;
  out.other_code.clear();
  od::document doc;
  if (parser_.iterate(View(body)).get(doc)) return false;
  od::object root;
  if (doc.get_object().get(root)) return false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key == "FailedRecordCount") {
      int64_t n = 0;
      if (field.value().get_int64().get(n)) return false;
      out.failed = static_cast<uint64_t>(n);
    } else if (key == "Records") {
      od::array records;
      if (field.value().get_array().get(records)) return false;
      for (auto rec : records) {
        ++out.records;
        if (out.failed == 0) continue;  // FailedRecordCount comes first in every server seen
        od::object o;
        if (rec.get_object().get(o)) return false;
        std::string_view code;
        if (o.find_field_unordered("ErrorCode").get_string().get(code)) continue;
        if (code == kThrottled) {
          ++out.throttled;
        } else if (code == "InternalFailure") {
          ++out.internal;
        } else {
          if (out.other_code.empty()) out.other_code.assign(code);
          ++out.other;
        }
      }
    }
  }
  return true;
}

bool ResponseParser::PutRecord(Buffer& body, PutRecordResult& out) {
  out.shard_id.clear();
  out.sequence_number.clear();
  od::document doc;
  if (parser_.iterate(View(body)).get(doc)) return false;
  od::object root;
  if (doc.get_object().get(root)) return false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key == "ShardId") {
      if (!GetString(field.value(), out.shard_id)) return false;
    } else if (key == "SequenceNumber") {
      if (!GetString(field.value(), out.sequence_number)) return false;
    }
  }
  return !out.sequence_number.empty();
}

bool ResponseParser::GetShardIterator(Buffer& body, std::string& iterator) {
  iterator.clear();
  od::document doc;
  if (parser_.iterate(View(body)).get(doc)) return false;
  std::string_view it;
  if (doc.find_field_unordered("ShardIterator").get_string().get(it)) return false;
  iterator.assign(it);
  return true;
}

bool ResponseParser::GetRecords(Buffer& body, std::string_view want, GetRecordsResult& out) {
  out.records = out.data_bytes = 0;
  out.next_iterator.clear();
  out.millis_behind = -1;
  out.found = out.passed = false;
  od::document doc;
  if (parser_.iterate(View(body)).get(doc)) return false;
  od::object root;
  if (doc.get_object().get(root)) return false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key == "Records") {
      od::array records;
      if (field.value().get_array().get(records)) return false;
      for (auto rec : records) {
        od::object o;
        if (rec.get_object().get(o)) return false;
        ++out.records;
        for (auto f : o) {
          // Raw key comparison: no unescaping (keys are plain ASCII in every server's output).
          od::raw_json_string k;
          if (f.key().get(k)) return false;
          if (k == "Data") {
            od::value v;
            if (f.value().get(v)) return false;
            out.data_bytes += Base64DecodedSize(RawStringContent(v.raw_json_token()));
          } else if (!want.empty() && k == "SequenceNumber") {
            std::string_view seq;
            if (f.value().get_string().get(seq)) return false;
            int c = CompareSequenceNumbers(seq, want);
            if (c == 0) out.found = true;
            if (c > 0) out.passed = true;
          }
        }
      }
    } else if (key == "NextShardIterator") {
      od::value v;
      if (field.value().get(v)) return false;
      bool is_null = false;
      if (!v.is_null().get(is_null) && is_null) continue;
      std::string_view it;
      if (v.get_string().get(it)) return false;
      out.next_iterator.assign(it);
    } else if (key == "MillisBehindLatest") {
      int64_t n = 0;
      if (field.value().get_int64().get(n)) return false;
      out.millis_behind = n;
    }
  }
  return true;
}

bool ResponseParser::DescribeStreamSummary(Buffer& body, StreamSummary& out) {
  out.status.clear();
  out.arn.clear();
  out.open_shards = -1;
  od::document doc;
  if (parser_.iterate(View(body)).get(doc)) return false;
  od::object summary;
  if (doc.find_field_unordered("StreamDescriptionSummary").get_object().get(summary)) return false;
  for (auto field : summary) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key == "StreamStatus") {
      if (!GetString(field.value(), out.status)) return false;
    } else if (key == "StreamARN") {
      if (!GetString(field.value(), out.arn)) return false;
    } else if (key == "OpenShardCount") {
      if (field.value().get_int64().get(out.open_shards)) return false;
    }
  }
  return !out.status.empty();
}

bool ResponseParser::ListShards(Buffer& body, std::vector<std::string>& shard_ids,
                                std::vector<std::string>& starting_hash_keys,
                                std::string& next_token) {
  next_token.clear();
  od::document doc;
  if (parser_.iterate(View(body)).get(doc)) return false;
  od::object root;
  if (doc.get_object().get(root)) return false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return false;
    if (key == "Shards") {
      od::array shards;
      if (field.value().get_array().get(shards)) return false;
      for (auto shard : shards) {
        od::object o;
        if (shard.get_object().get(o)) return false;
        std::string_view id;
        std::string_view start;
        for (auto f : o) {
          std::string_view k;
          if (f.unescaped_key().get(k)) return false;
          if (k == "ShardId") {
            if (f.value().get_string().get(id)) return false;
          } else if (k == "HashKeyRange") {
            if (f.value().find_field_unordered("StartingHashKey").get_string().get(start)) {
              return false;
            }
          }
        }
        if (id.empty()) return false;
        shard_ids.emplace_back(id);
        starting_hash_keys.emplace_back(start);
      }
    } else if (key == "NextToken") {
      od::value v;
      if (field.value().get(v)) return false;
      bool is_null = false;
      if (!v.is_null().get(is_null) && is_null) continue;
      if (!GetString(v, next_token)) return false;
    }
  }
  return true;
}

std::string ResponseParser::ErrorType(Buffer& body) {
  od::document doc;
  if (parser_.iterate(View(body)).get(doc)) return {};
  std::string_view type;
  if (doc.find_field_unordered("__type").get_string().get(type)) return {};
  return std::string(CleanErrorType(type));
}

bool ParseConsumer(std::string_view body, ConsumerInfo& out) {
  out = {};
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(body.data(), body.size()).get(doc)) return false;
  for (const char* key : {"Consumer", "ConsumerDescription"}) {
    simdjson::dom::element c;
    if (doc[key].get(c)) continue;
    std::string_view arn, status;
    if (c["ConsumerARN"].get_string().get(arn)) return false;
    if (!c["ConsumerStatus"].get_string().get(status)) out.status.assign(status);
    out.arn.assign(arn);
    return true;
  }
  return false;
}

bool ParseSubscribeEvent(std::string_view payload, SubscribeEvent& out) {
  out.sequence_numbers.clear();
  out.continuation.clear();
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(payload.data(), payload.size()).get(doc)) return false;
  simdjson::dom::array records;
  if (doc["Records"].get_array().get(records)) return false;
  for (simdjson::dom::element r : records) {
    std::string_view seq;
    if (r["SequenceNumber"].get_string().get(seq)) return false;
    out.sequence_numbers.emplace_back(seq);
  }
  std::string_view cont;
  if (!doc["ContinuationSequenceNumber"].get_string().get(cont)) out.continuation.assign(cont);
  return true;
}

std::string ErrorOf(Call& call, ResponseParser& parser) {
  if (call.error != TransportError::kNone) return std::string(TransportErrorName(call.error));
  if (call.status == 200) return {};
  if (!call.error_type.empty()) return std::string(CleanErrorType(call.error_type));
  std::string t = parser.ErrorType(call.response);
  if (!t.empty()) return t;
  return fmt::format("HTTP {}", call.status);
}

}  // namespace shoal::loadgen
