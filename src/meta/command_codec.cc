#include "meta/command_codec.h"

#include "meta/coding.h"
#include "meta/overloaded.h"

namespace shoal::meta {
namespace {

// ---- Encoding ----

void PutI32(std::string* dst, int32_t v) { PutFixed32(dst, static_cast<uint32_t>(v)); }
void PutI64(std::string* dst, int64_t v) { PutFixed64(dst, static_cast<uint64_t>(v)); }

void PutOptionalU32(std::string* dst, const std::optional<uint32_t>& v) {
  PutU8(dst, v.has_value() ? 1 : 0);
  if (v.has_value()) PutVarint32(dst, *v);
}

void PutOptionalI64(std::string* dst, const std::optional<int64_t>& v) {
  PutU8(dst, v.has_value() ? 1 : 0);
  if (v.has_value()) PutI64(dst, *v);
}

void PutStrings(std::string* dst, const std::vector<std::string>& strings) {
  PutVarint32(dst, static_cast<uint32_t>(strings.size()));
  for (const std::string& s : strings) PutString(dst, s);
}

void PutTags(std::string* dst, const std::map<std::string, std::string>& tags) {
  PutVarint32(dst, static_cast<uint32_t>(tags.size()));
  for (const auto& [key, value] : tags) {
    PutString(dst, key);
    PutString(dst, value);
  }
}

void PutTimes(std::string* dst, const std::vector<int64_t>& times) {
  PutVarint32(dst, static_cast<uint32_t>(times.size()));
  for (int64_t t : times) PutI64(dst, t);
}

void PutShard(std::string* dst, const ShardRecord& shard) {
  PutVarint32(dst, shard.index);
  PutU128(dst, shard.starting_hash_key);
  PutU128(dst, shard.ending_hash_key);
  PutI64(dst, shard.created_ms);
  PutOptionalU32(dst, shard.parent);
  PutOptionalU32(dst, shard.adjacent_parent);
  PutOptionalI64(dst, shard.closed_ms);
}

void PutConsumer(std::string* dst, const ConsumerRecord& c) {
  PutString(dst, c.name);
  PutI64(dst, c.created_ms);
  PutU8(dst, static_cast<uint8_t>(c.status));
  PutI64(dst, c.status_until_ms);
  PutTags(dst, c.tags);
}

void PutStream(std::string* dst, const StreamRecord& r) {
  PutString(dst, r.name);
  PutVarint64(dst, r.revision);
  PutU8(dst, static_cast<uint8_t>(r.status));
  PutI64(dst, r.status_until_ms);
  PutU8(dst, static_cast<uint8_t>(r.mode));
  PutI64(dst, r.created_ms);
  PutI32(dst, r.retention_hours);
  PutVarint32(dst, r.next_shard_index);
  PutVarint32(dst, static_cast<uint32_t>(r.shards.size()));
  for (const ShardRecord& shard : r.shards) PutShard(dst, shard);
  PutTags(dst, r.tags);
  PutStrings(dst, r.shard_level_metrics);
  PutU8(dst, static_cast<uint8_t>(r.encryption));
  PutString(dst, r.key_id);
  PutI32(dst, r.max_record_size_kib);
  PutTimes(dst, r.scaling_ops_ms);  // version 2
  PutTimes(dst, r.mode_switches_ms);
  PutVarint32(dst, static_cast<uint32_t>(r.consumers.size()));  // version 3
  for (const auto& [name, consumer] : r.consumers) PutConsumer(dst, consumer);
}

// Every command but CreateStream starts with the stream it targets.
void PutTarget(std::string* dst, const std::string& name, uint64_t revision) {
  PutString(dst, name);
  PutVarint64(dst, revision);
}

// The consumer commands but RegisterConsumer continue with the consumer they target.
void PutConsumerTarget(std::string* dst, const std::string& consumer, int64_t created_ms) {
  PutString(dst, consumer);
  PutI64(dst, created_ms);
}

void PutBody(std::string* dst, const Command& cmd) {
  std::visit(Overloaded{
                 [&](const CreateStreamCmd& c) { PutStream(dst, c.record); },
                 [&](const SetStreamStatusCmd& c) {
                   PutTarget(dst, c.name, c.revision);
                   PutU8(dst, static_cast<uint8_t>(c.status));
                   PutI64(dst, c.status_until_ms);
                 },
                 [&](const DeleteStreamCmd& c) { PutTarget(dst, c.name, c.revision); },
                 [&](const SetRetentionCmd& c) {
                   PutTarget(dst, c.name, c.revision);
                   PutI32(dst, c.retention_hours);
                 },
                 [&](const AddTagsCmd& c) {
                   PutTarget(dst, c.name, c.revision);
                   PutTags(dst, c.tags);
                 },
                 [&](const RemoveTagsCmd& c) {
                   PutTarget(dst, c.name, c.revision);
                   PutStrings(dst, c.keys);
                 },
                 [&](const SetShardLevelMetricsCmd& c) {
                   PutTarget(dst, c.name, c.revision);
                   PutStrings(dst, c.metrics);
                 },
                 [&](const ReshardCmd& c) {
                   PutTarget(dst, c.name, c.revision);
                   PutVarint32(dst, static_cast<uint32_t>(c.closed.size()));
                   for (uint32_t index : c.closed) PutVarint32(dst, index);
                   PutI64(dst, c.closed_ms);
                   PutVarint32(dst, static_cast<uint32_t>(c.new_shards.size()));
                   for (const ShardRecord& shard : c.new_shards) PutShard(dst, shard);
                   PutVarint32(dst, c.next_shard_index);
                   PutU8(dst, static_cast<uint8_t>(c.status));
                   PutI64(dst, c.status_until_ms);
                   PutTimes(dst, c.scaling_ops_ms);
                 },
                 [&](const SetStreamModeCmd& c) {
                   PutTarget(dst, c.name, c.revision);
                   PutU8(dst, static_cast<uint8_t>(c.mode));
                   PutU8(dst, static_cast<uint8_t>(c.status));
                   PutI64(dst, c.status_until_ms);
                   PutTimes(dst, c.mode_switches_ms);
                 },
                 [&](const RegisterConsumerCmd& c) {
                   PutTarget(dst, c.name, c.revision);
                   PutConsumer(dst, c.consumer);
                 },
                 [&](const SetConsumerStatusCmd& c) {
                   PutTarget(dst, c.name, c.revision);
                   PutConsumerTarget(dst, c.consumer, c.consumer_created_ms);
                   PutU8(dst, static_cast<uint8_t>(c.status));
                   PutI64(dst, c.status_until_ms);
                 },
                 [&](const DeregisterConsumerCmd& c) {
                   PutTarget(dst, c.name, c.revision);
                   PutConsumerTarget(dst, c.consumer, c.consumer_created_ms);
                 },
                 [&](const SetConsumerTagsCmd& c) {
                   PutTarget(dst, c.name, c.revision);
                   PutConsumerTarget(dst, c.consumer, c.consumer_created_ms);
                   PutTags(dst, c.tags);
                 },
             },
             cmd);
}

// ---- Decoding ----

int32_t GetI32(Decoder& d, std::string_view field) {
  return static_cast<int32_t>(d.Fixed32(field));
}
int64_t GetI64(Decoder& d, std::string_view field) {
  return static_cast<int64_t>(d.Fixed64(field));
}

std::optional<uint32_t> GetOptionalU32(Decoder& d, std::string_view field) {
  if (!d.Presence(field)) return std::nullopt;
  return d.Varint32(field);
}

std::optional<int64_t> GetOptionalI64(Decoder& d, std::string_view field) {
  if (!d.Presence(field)) return std::nullopt;
  return GetI64(d, field);
}

std::vector<std::string> GetStrings(Decoder& d, std::string_view field) {
  std::vector<std::string> out;
  uint32_t n = d.Count(field);
  for (uint32_t i = 0; i < n && d.ok(); ++i) out.push_back(d.String(field));
  return out;
}

// Keys must be strictly ascending: that is how PutTags writes a std::map, and it makes a
// duplicate key (which would silently drop a value) a decode error.
std::map<std::string, std::string> GetTags(Decoder& d, std::string_view field) {
  std::map<std::string, std::string> out;
  uint32_t n = d.Count(field);
  for (uint32_t i = 0; i < n && d.ok(); ++i) {
    std::string key = d.String(field);
    std::string value = d.String(field);
    if (!out.empty() && key <= out.rbegin()->first) d.Fail(field, "keys not strictly ascending");
    if (d.ok()) out.emplace_hint(out.end(), std::move(key), std::move(value));
  }
  return out;
}

std::vector<int64_t> GetTimes(Decoder& d, std::string_view field) {
  std::vector<int64_t> out;
  uint32_t n = d.Count(field);
  for (uint32_t i = 0; i < n && d.ok(); ++i) out.push_back(GetI64(d, field));
  return out;
}

ShardRecord GetShard(Decoder& d) {
  ShardRecord shard;
  shard.index = d.Varint32("shard.index");
  shard.starting_hash_key = d.U128("shard.starting_hash_key");
  shard.ending_hash_key = d.U128("shard.ending_hash_key");
  shard.created_ms = GetI64(d, "shard.created_ms");
  shard.parent = GetOptionalU32(d, "shard.parent");
  shard.adjacent_parent = GetOptionalU32(d, "shard.adjacent_parent");
  shard.closed_ms = GetOptionalI64(d, "shard.closed_ms");
  return shard;
}

ConsumerRecord GetConsumer(Decoder& d) {
  ConsumerRecord c;
  c.name = d.String("consumer.name");
  c.created_ms = GetI64(d, "consumer.created_ms");
  c.status = static_cast<ConsumerStatus>(d.Enum("consumer.status", 2));
  c.status_until_ms = GetI64(d, "consumer.status_until_ms");
  c.tags = GetTags(d, "consumer.tags");
  return c;
}

// Names must be strictly ascending, as PutStream writes the map.
std::map<std::string, ConsumerRecord> GetConsumers(Decoder& d) {
  std::map<std::string, ConsumerRecord> out;
  uint32_t n = d.Count("consumers");
  for (uint32_t i = 0; i < n && d.ok(); ++i) {
    ConsumerRecord c = GetConsumer(d);
    if (!out.empty() && c.name <= out.rbegin()->first) {
      d.Fail("consumers", "names not strictly ascending");
    }
    if (d.ok()) out.emplace_hint(out.end(), c.name, std::move(c));
  }
  return out;
}

StreamRecord GetStream(Decoder& d, uint8_t version) {
  StreamRecord r;
  r.name = d.String("name");
  r.revision = d.Varint64("revision");
  r.status = static_cast<StreamStatus>(d.Enum("status", 3));
  r.status_until_ms = GetI64(d, "status_until_ms");
  r.mode = static_cast<StreamMode>(d.Enum("mode", 1));
  r.created_ms = GetI64(d, "created_ms");
  r.retention_hours = GetI32(d, "retention_hours");
  r.next_shard_index = d.Varint32("next_shard_index");
  uint32_t shards = d.Count("shards");
  for (uint32_t i = 0; i < shards && d.ok(); ++i) r.shards.push_back(GetShard(d));
  r.tags = GetTags(d, "tags");
  r.shard_level_metrics = GetStrings(d, "shard_level_metrics");
  r.encryption = static_cast<EncryptionType>(d.Enum("encryption", 1));
  r.key_id = d.String("key_id");
  r.max_record_size_kib = GetI32(d, "max_record_size_kib");
  if (version >= 2) {
    r.scaling_ops_ms = GetTimes(d, "scaling_ops_ms");
    r.mode_switches_ms = GetTimes(d, "mode_switches_ms");
  }
  if (version >= 3) r.consumers = GetConsumers(d);
  return r;
}

// Reads the name and revision every command but CreateStream starts with.
template <class Cmd>
Cmd GetTarget(Decoder& d) {
  Cmd c;
  c.name = d.String("name");
  c.revision = d.Varint64("revision");
  return c;
}

// Reads the stream and consumer targets of the consumer commands but RegisterConsumer.
template <class Cmd>
Cmd GetConsumerTarget(Decoder& d) {
  auto c = GetTarget<Cmd>(d);
  c.consumer = d.String("consumer");
  c.consumer_created_ms = GetI64(d, "consumer_created_ms");
  return c;
}

Command GetBody(Decoder& d, CommandTag tag, uint8_t version) {
  switch (tag) {
    case CommandTag::kCreateStream:
      return CreateStreamCmd{GetStream(d, version)};
    case CommandTag::kSetStreamStatus: {
      auto c = GetTarget<SetStreamStatusCmd>(d);
      c.status = static_cast<StreamStatus>(d.Enum("status", 3));
      c.status_until_ms = GetI64(d, "status_until_ms");
      return c;
    }
    case CommandTag::kDeleteStream:
      return GetTarget<DeleteStreamCmd>(d);
    case CommandTag::kSetRetention: {
      auto c = GetTarget<SetRetentionCmd>(d);
      c.retention_hours = GetI32(d, "retention_hours");
      return c;
    }
    case CommandTag::kAddTags: {
      auto c = GetTarget<AddTagsCmd>(d);
      c.tags = GetTags(d, "tags");
      return c;
    }
    case CommandTag::kRemoveTags: {
      auto c = GetTarget<RemoveTagsCmd>(d);
      c.keys = GetStrings(d, "keys");
      return c;
    }
    case CommandTag::kSetShardLevelMetrics: {
      auto c = GetTarget<SetShardLevelMetricsCmd>(d);
      c.metrics = GetStrings(d, "metrics");
      return c;
    }
    case CommandTag::kReshard: {
      auto c = GetTarget<ReshardCmd>(d);
      uint32_t closed = d.Count("closed");
      for (uint32_t i = 0; i < closed && d.ok(); ++i) c.closed.push_back(d.Varint32("closed"));
      c.closed_ms = GetI64(d, "closed_ms");
      uint32_t added = d.Count("new_shards");
      for (uint32_t i = 0; i < added && d.ok(); ++i) c.new_shards.push_back(GetShard(d));
      c.next_shard_index = d.Varint32("next_shard_index");
      c.status = static_cast<StreamStatus>(d.Enum("status", 3));
      c.status_until_ms = GetI64(d, "status_until_ms");
      c.scaling_ops_ms = GetTimes(d, "scaling_ops_ms");
      return c;
    }
    case CommandTag::kSetStreamMode: {
      auto c = GetTarget<SetStreamModeCmd>(d);
      c.mode = static_cast<StreamMode>(d.Enum("mode", 1));
      c.status = static_cast<StreamStatus>(d.Enum("status", 3));
      c.status_until_ms = GetI64(d, "status_until_ms");
      c.mode_switches_ms = GetTimes(d, "mode_switches_ms");
      return c;
    }
    case CommandTag::kRegisterConsumer: {
      auto c = GetTarget<RegisterConsumerCmd>(d);
      c.consumer = GetConsumer(d);
      return c;
    }
    case CommandTag::kSetConsumerStatus: {
      auto c = GetConsumerTarget<SetConsumerStatusCmd>(d);
      c.status = static_cast<ConsumerStatus>(d.Enum("status", 2));
      c.status_until_ms = GetI64(d, "status_until_ms");
      return c;
    }
    case CommandTag::kDeregisterConsumer:
      return GetConsumerTarget<DeregisterConsumerCmd>(d);
    case CommandTag::kSetConsumerTags: {
      auto c = GetConsumerTarget<SetConsumerTagsCmd>(d);
      c.tags = GetTags(d, "tags");
      return c;
    }
  }
  d.Fail("tag", "unknown command tag " + std::to_string(static_cast<int>(tag)));
  return DeleteStreamCmd{};
}

// The format version that introduced a command tag (0 for tags no version has, which
// GetBody rejects).
uint8_t IntroducedIn(CommandTag tag) {
  auto t = static_cast<uint8_t>(tag);
  if (t >= 1 && t <= 7) return 1;
  if (t == 8 || t == 9) return 2;
  if (t >= 10 && t <= 13) return 3;
  return 0;
}

// Reads and checks the leading version byte; returns it.
uint8_t GetVersion(Decoder& d) {
  uint8_t version = d.U8("version");
  if (d.ok() && (version < kOldestCommandFormatVersion || version > kCommandFormatVersion)) {
    d.Fail("version", "unsupported format version " + std::to_string(version) +
                          " (this build reads " + std::to_string(kOldestCommandFormatVersion) +
                          " to " + std::to_string(kCommandFormatVersion) + ")");
  }
  return version;
}

MetaStatus Corruption(std::string_view what, const Decoder& d) {
  return MetaStatus(MetaErrc::kCorruption, std::string(what) + ": " + d.error());
}

}  // namespace

CommandTag TagOf(const Command& cmd) {
  // The variant's alternatives are declared in tag order (commands.h); the static_asserts
  // pin that, so reordering the variant cannot silently renumber tags.
  static_assert(std::is_same_v<std::variant_alternative_t<0, Command>, CreateStreamCmd>);
  static_assert(std::is_same_v<std::variant_alternative_t<6, Command>, SetShardLevelMetricsCmd>);
  static_assert(std::is_same_v<std::variant_alternative_t<7, Command>, ReshardCmd>);
  static_assert(std::is_same_v<std::variant_alternative_t<8, Command>, SetStreamModeCmd>);
  static_assert(std::is_same_v<std::variant_alternative_t<9, Command>, RegisterConsumerCmd>);
  static_assert(std::is_same_v<std::variant_alternative_t<12, Command>, SetConsumerTagsCmd>);
  static_assert(std::variant_size_v<Command> == 13);
  return std::visit(
      Overloaded{
          [](const CreateStreamCmd&) { return CommandTag::kCreateStream; },
          [](const SetStreamStatusCmd&) { return CommandTag::kSetStreamStatus; },
          [](const DeleteStreamCmd&) { return CommandTag::kDeleteStream; },
          [](const SetRetentionCmd&) { return CommandTag::kSetRetention; },
          [](const AddTagsCmd&) { return CommandTag::kAddTags; },
          [](const RemoveTagsCmd&) { return CommandTag::kRemoveTags; },
          [](const SetShardLevelMetricsCmd&) { return CommandTag::kSetShardLevelMetrics; },
          [](const ReshardCmd&) { return CommandTag::kReshard; },
          [](const SetStreamModeCmd&) { return CommandTag::kSetStreamMode; },
          [](const RegisterConsumerCmd&) { return CommandTag::kRegisterConsumer; },
          [](const SetConsumerStatusCmd&) { return CommandTag::kSetConsumerStatus; },
          [](const DeregisterConsumerCmd&) { return CommandTag::kDeregisterConsumer; },
          [](const SetConsumerTagsCmd&) { return CommandTag::kSetConsumerTags; },
      },
      cmd);
}

std::string EncodeCommand(const Command& cmd) {
  std::string out;
  PutU8(&out, kCommandFormatVersion);
  PutU8(&out, static_cast<uint8_t>(TagOf(cmd)));
  PutBody(&out, cmd);
  return out;
}

MetaResult<Command> DecodeCommand(std::string_view payload) {
  Decoder d(payload);
  uint8_t version = GetVersion(d);
  auto tag = static_cast<CommandTag>(d.U8("tag"));
  if (!d.ok()) return Corruption("command", d);
  if (IntroducedIn(tag) > version) {
    d.Fail("tag", "command tag " + std::to_string(static_cast<int>(tag)) +
                      " does not exist in format version " + std::to_string(version));
    return Corruption("command", d);
  }
  Command cmd = GetBody(d, tag, version);
  d.ExpectEnd();
  if (!d.ok()) return Corruption("command", d);
  return cmd;
}

std::string EncodeSnapshotHeader(const SnapshotHeader& header) {
  std::string out;
  PutU8(&out, kCommandFormatVersion);
  PutVarint64(&out, header.last_revision);
  PutVarint32(&out, header.stream_count);
  return out;
}

MetaResult<SnapshotHeader> DecodeSnapshotHeader(std::string_view payload) {
  Decoder d(payload);
  GetVersion(d);
  SnapshotHeader header;
  header.last_revision = d.Varint64("last_revision");
  header.stream_count = d.Varint32("stream_count");
  d.ExpectEnd();
  if (!d.ok()) return Corruption("snapshot header", d);
  return header;
}

}  // namespace shoal::meta
