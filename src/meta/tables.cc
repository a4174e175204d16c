#include "meta/tables.h"

#include <algorithm>
#include <cassert>

#include "meta/overloaded.h"

namespace shoal::meta {
namespace {

MetaStatus Invalid(const Command& cmd, std::string why) {
  std::string message(CommandName(cmd));
  message.append(" '").append(CommandStreamName(cmd)).append("': ").append(why);
  return MetaStatus(MetaErrc::kInvalidCommand, std::move(message));
}

bool SortedUnique(const std::vector<std::string>& v) {
  return std::adjacent_find(v.begin(), v.end(), std::greater_equal<>()) == v.end();
}

// The structural rules of a stream record, shared by Validate and ValidateRestore.
MetaStatus ValidateRecord(const CreateStreamCmd& cmd) {
  const StreamRecord& r = cmd.record;
  if (r.name.empty()) return Invalid(cmd, "empty stream name");
  for (size_t i = 0; i < r.shards.size(); ++i) {
    uint32_t index = r.shards[i].index;
    if (index >= r.next_shard_index) {
      return Invalid(cmd, "shard index " + std::to_string(index) +
                              " is not below next_shard_index " +
                              std::to_string(r.next_shard_index));
    }
    if (i > 0 && index <= r.shards[i - 1].index) {
      return Invalid(cmd, "shard indexes not strictly ascending at position " + std::to_string(i));
    }
  }
  if (!SortedUnique(r.shard_level_metrics)) {
    return Invalid(cmd, "shard_level_metrics not sorted and unique");
  }
  for (const auto& [name, consumer] : r.consumers) {
    if (name.empty() || name != consumer.name) {
      return Invalid(cmd, "consumer '" + consumer.name + "' filed under '" + name + "'");
    }
  }
  return MetaStatus::Ok();
}

// The consumer (name, creation time) a consumer command names, or why it does not exist.
template <class Cmd>
MetaStatus ValidateConsumerTarget(const Cmd& c, const StreamRecord& s) {
  auto it = s.consumers.find(c.consumer);
  if (it == s.consumers.end()) return Invalid(c, "no consumer '" + c.consumer + "'");
  if (it->second.created_ms != c.consumer_created_ms) {
    return Invalid(c, "consumer '" + c.consumer + "' was created at " +
                          std::to_string(it->second.created_ms) + ", not " +
                          std::to_string(c.consumer_created_ms));
  }
  return MetaStatus::Ok();
}

}  // namespace

const StreamRecord* CatalogTables::Find(std::string_view name) const {
  auto it = streams_.find(name);
  return it == streams_.end() ? nullptr : &it->second;
}

MetaStatus CatalogTables::ValidateTarget(const Command& cmd) const {
  const StreamRecord* stream = Find(CommandStreamName(cmd));
  uint64_t revision = CommandRevision(cmd);
  if (stream == nullptr) return Invalid(cmd, "no such stream");
  if (stream->revision != revision) {
    return Invalid(cmd, "revision " + std::to_string(revision) + " does not match the stream's " +
                            std::to_string(stream->revision));
  }
  return MetaStatus::Ok();
}

MetaStatus CatalogTables::Validate(const Command& cmd) const {
  if (const auto* create = std::get_if<CreateStreamCmd>(&cmd)) {
    if (const StreamRecord* existing = Find(create->record.name)) {
      return Invalid(cmd, "already exists with revision " + std::to_string(existing->revision));
    }
    if (create->record.revision <= last_revision_) {
      return Invalid(cmd, "revision " + std::to_string(create->record.revision) +
                              " is not above the last revision " + std::to_string(last_revision_));
    }
    return ValidateRecord(*create);
  }
  SHOAL_RETURN_IF_ERROR(ValidateTarget(cmd));
  if (const auto* metrics = std::get_if<SetShardLevelMetricsCmd>(&cmd)) {
    if (!SortedUnique(metrics->metrics)) return Invalid(cmd, "metrics not sorted and unique");
  }
  if (const auto* reshard = std::get_if<ReshardCmd>(&cmd)) {
    return ValidateReshard(*reshard, *Find(reshard->name));
  }
  const StreamRecord& s = *Find(CommandStreamName(cmd));
  if (const auto* reg = std::get_if<RegisterConsumerCmd>(&cmd)) {
    if (reg->consumer.name.empty()) return Invalid(cmd, "empty consumer name");
    if (s.consumers.contains(reg->consumer.name)) {
      return Invalid(cmd, "consumer '" + reg->consumer.name + "' already exists");
    }
  }
  if (const auto* c = std::get_if<SetConsumerStatusCmd>(&cmd)) return ValidateConsumerTarget(*c, s);
  if (const auto* c = std::get_if<DeregisterConsumerCmd>(&cmd)) return ValidateConsumerTarget(*c, s);
  if (const auto* c = std::get_if<SetConsumerTagsCmd>(&cmd)) return ValidateConsumerTarget(*c, s);
  return MetaStatus::Ok();
}

MetaStatus CatalogTables::ValidateReshard(const ReshardCmd& c, const StreamRecord& s) const {
  Command cmd = c;
  for (size_t i = 0; i < c.closed.size(); ++i) {
    if (i > 0 && c.closed[i] <= c.closed[i - 1]) {
      return Invalid(cmd, "closed shard indexes not strictly ascending");
    }
    auto it = std::lower_bound(
        s.shards.begin(), s.shards.end(), c.closed[i],
        [](const ShardRecord& shard, uint32_t index) { return shard.index < index; });
    if (it == s.shards.end() || it->index != c.closed[i]) {
      return Invalid(cmd, "no shard " + std::to_string(c.closed[i]));
    }
    if (!it->open()) return Invalid(cmd, "shard " + std::to_string(c.closed[i]) + " is closed");
  }
  if (c.next_shard_index < s.next_shard_index) {
    return Invalid(cmd, "next_shard_index " + std::to_string(c.next_shard_index) +
                            " is below the stream's " + std::to_string(s.next_shard_index));
  }
  uint32_t floor = s.next_shard_index;
  for (const ShardRecord& shard : c.new_shards) {
    if (shard.index < floor || shard.index >= c.next_shard_index) {
      return Invalid(cmd, "new shard index " + std::to_string(shard.index) +
                              " is not ascending in [" + std::to_string(s.next_shard_index) +
                              ", " + std::to_string(c.next_shard_index) + ")");
    }
    floor = shard.index + 1;
  }
  return MetaStatus::Ok();
}

MetaStatus CatalogTables::ValidateRestore(const CreateStreamCmd& create) const {
  Command cmd = create;
  if (Find(create.record.name) != nullptr) return Invalid(cmd, "restored twice");
  if (create.record.revision == 0 || create.record.revision > last_revision_) {
    return Invalid(cmd, "restored revision " + std::to_string(create.record.revision) +
                            " is outside [1, " + std::to_string(last_revision_) + "]");
  }
  return ValidateRecord(create);
}

void CatalogTables::Apply(const Command& cmd) {
  if (const auto* create = std::get_if<CreateStreamCmd>(&cmd)) {
    last_revision_ = std::max(last_revision_, create->record.revision);
    streams_.emplace(create->record.name, create->record);
    return;
  }
  auto it = streams_.find(CommandStreamName(cmd));
  assert(it != streams_.end() && it->second.revision == CommandRevision(cmd));
  StreamRecord& s = it->second;
  std::visit(Overloaded{
                 [](const CreateStreamCmd&) {},
                 [&](const SetStreamStatusCmd& c) {
                   s.status = c.status;
                   s.status_until_ms = c.status_until_ms;
                 },
                 [&](const DeleteStreamCmd&) { streams_.erase(it); },
                 [&](const SetRetentionCmd& c) { s.retention_hours = c.retention_hours; },
                 [&](const AddTagsCmd& c) {
                   for (const auto& [key, value] : c.tags) s.tags[key] = value;
                 },
                 [&](const RemoveTagsCmd& c) {
                   for (const std::string& key : c.keys) s.tags.erase(key);
                 },
                 [&](const SetShardLevelMetricsCmd& c) { s.shard_level_metrics = c.metrics; },
                 [&](const ReshardCmd& c) {
                   for (ShardRecord& shard : s.shards) {
                     if (std::binary_search(c.closed.begin(), c.closed.end(), shard.index)) {
                       shard.closed_ms = c.closed_ms;
                     }
                   }
                   s.shards.insert(s.shards.end(), c.new_shards.begin(), c.new_shards.end());
                   s.next_shard_index = c.next_shard_index;
                   s.status = c.status;
                   s.status_until_ms = c.status_until_ms;
                   s.scaling_ops_ms = c.scaling_ops_ms;
                 },
                 [&](const SetStreamModeCmd& c) {
                   s.mode = c.mode;
                   s.status = c.status;
                   s.status_until_ms = c.status_until_ms;
                   s.mode_switches_ms = c.mode_switches_ms;
                 },
                 [&](const RegisterConsumerCmd& c) {
                   s.consumers.emplace(c.consumer.name, c.consumer);
                 },
                 [&](const SetConsumerStatusCmd& c) {
                   ConsumerRecord& consumer = s.consumers.at(c.consumer);
                   consumer.status = c.status;
                   consumer.status_until_ms = c.status_until_ms;
                 },
                 [&](const DeregisterConsumerCmd& c) { s.consumers.erase(c.consumer); },
                 [&](const SetConsumerTagsCmd& c) { s.consumers.at(c.consumer).tags = c.tags; },
             },
             cmd);
}

void CatalogTables::RaiseLastRevision(uint64_t revision) {
  last_revision_ = std::max(last_revision_, revision);
}

}  // namespace shoal::meta
