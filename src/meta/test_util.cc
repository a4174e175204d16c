#include "meta/test_util.h"

#include <gtest/gtest.h>

#include <ostream>

#include "meta/log_format.h"

namespace shoal::meta::testing {

StreamRecord SampleStream(std::string name, uint64_t revision, uint32_t shards) {
  StreamRecord r;
  r.name = std::move(name);
  r.revision = revision;
  r.status = StreamStatus::kCreating;
  r.status_until_ms = 1'700'000'000'500;
  r.mode = StreamMode::kOnDemand;
  r.created_ms = 1'700'000'000'000;
  r.retention_hours = 48;
  r.next_shard_index = shards + 1;
  for (uint32_t i = 0; i < shards; ++i) {
    ShardRecord shard;
    shard.index = i + 1;
    shard.starting_hash_key = static_cast<uint128>(i) << 100;
    shard.ending_hash_key = (static_cast<uint128>(i + 1) << 100) - 1;
    shard.created_ms = -5 + i;  // negative values round-trip too
    if (i > 0) shard.parent = i;
    if (i > 1) shard.adjacent_parent = i - 1;
    if (i == 0) shard.closed_ms = 1'700'000'100'000;
    r.shards.push_back(shard);
  }
  if (!r.shards.empty()) r.shards.back().ending_hash_key = kUint128Max;
  r.tags = {{"env", "prod"}, {"owner", "team \xe2\x9c\x93"}, {"empty", ""}};
  r.shard_level_metrics = {"IncomingBytes", "OutgoingRecords"};
  r.encryption = EncryptionType::kKms;
  r.key_id = "alias/aws/kinesis";
  r.max_record_size_kib = 10240;
  r.scaling_ops_ms = {1'699'990'000'000, 1'699'999'000'000};
  r.mode_switches_ms = {1'699'995'000'000};
  r.consumers["app-1"] = ConsumerRecord{"app-1", 1'700'000'000'100, ConsumerStatus::kActive, 0,
                                        {{"team", "data"}, {"x", ""}}};
  r.consumers["app.2"] = ConsumerRecord{"app.2", -7, ConsumerStatus::kDeleting,
                                        1'700'000'000'900, {}};
  return r;
}

ConsumerRecord SampleConsumer(std::string name, int64_t created_ms) {
  return ConsumerRecord{std::move(name), created_ms, ConsumerStatus::kCreating,
                        created_ms + 500, {{"owner", "me"}}};
}

std::vector<Command> OneOfEachCommand() {
  return {
      CreateStreamCmd{SampleStream("orders", 7)},
      SetStreamStatusCmd{"orders", 7, StreamStatus::kUpdating, -1},
      DeleteStreamCmd{"orders", 7},
      SetRetentionCmd{"orders", 7, 8760},
      AddTagsCmd{"orders", 7, {{"a", "1"}, {"b", ""}}},
      RemoveTagsCmd{"orders", 7, {"b", "a", "b"}},
      SetShardLevelMetricsCmd{"orders", 7, {"ALL"}},
      ReshardCmd{"orders", 7, {1, 3}, 1'700'000'200'000,
                 {SplitChild(5, 0, 99, 1'700'000'201'000, 1, std::nullopt),
                  SplitChild(6, 100, kUint128Max, 1'700'000'201'000, 3, 1)},
                 7, StreamStatus::kUpdating, 1'700'000'200'500, {-1, 1'700'000'200'000}},
      SetStreamModeCmd{"orders", 7, StreamMode::kOnDemand, StreamStatus::kUpdating,
                       1'700'000'300'000, {1'700'000'299'500}},
      RegisterConsumerCmd{"orders", 7, SampleConsumer("reader", 1'700'000'400'123)},
      SetConsumerStatusCmd{"orders", 7, "reader", 1'700'000'400'123, ConsumerStatus::kDeleting,
                           1'700'000'400'999},
      DeregisterConsumerCmd{"orders", 7, "reader", -1},
      SetConsumerTagsCmd{"orders", 7, "reader", 1'700'000'400'123, {{"k", "v"}, {"z", ""}}},
  };
}

ShardRecord SplitChild(uint32_t index, uint128 start, uint128 end, int64_t created_ms,
                       std::optional<uint32_t> parent, std::optional<uint32_t> adjacent) {
  ShardRecord shard;
  shard.index = index;
  shard.starting_hash_key = start;
  shard.ending_hash_key = end;
  shard.created_ms = created_ms;
  shard.parent = parent;
  shard.adjacent_parent = adjacent;
  return shard;
}

std::vector<Command> Script() {
  return {
      CreateStreamCmd{SampleStream("a", 1)},
      CreateStreamCmd{SampleStream("b", 2, 1)},
      SetStreamStatusCmd{"a", 1, StreamStatus::kActive, 0},
      AddTagsCmd{"a", 1, {{"k1", "v1"}, {"k2", "v2"}}},
      SetRetentionCmd{"b", 2, 168},
      RemoveTagsCmd{"a", 1, {"k1", "no-such-key"}},
      SetShardLevelMetricsCmd{"a", 1, {"IncomingBytes", "IteratorAgeMilliseconds"}},
      // Split shard 2 of "a" (shard 1 is already closed), then merge the two children.
      ReshardCmd{"a", 1, {2}, 1'700'000'010'000,
                 {SplitChild(4, uint128{1} << 100, (uint128{3} << 99) - 1, 1'700'000'011'000, 2,
                             std::nullopt),
                  SplitChild(5, uint128{3} << 99, (uint128{2} << 100) - 1, 1'700'000'011'000, 2,
                             std::nullopt)},
                 6, StreamStatus::kUpdating, 1'700'000'010'500, {}},
      ReshardCmd{"a", 1, {4, 5}, 1'700'000'020'000,
                 {SplitChild(6, uint128{1} << 100, (uint128{2} << 100) - 1, 1'700'000'021'000, 4,
                             5)},
                 7, StreamStatus::kActive, 0, {1'700'000'020'000}},
      SetStreamModeCmd{"a", 1, StreamMode::kProvisioned, StreamStatus::kUpdating,
                       1'700'000'030'500, {1'700'000'030'000}},
      // Consumers of "a": registered, activated, tagged; they vanish with the stream.
      RegisterConsumerCmd{"a", 1, SampleConsumer("c1", 1'700'000'031'000)},
      SetConsumerStatusCmd{"a", 1, "c1", 1'700'000'031'000, ConsumerStatus::kActive, 0},
      SetConsumerTagsCmd{"a", 1, "c1", 1'700'000'031'000, {{"k", "v"}}},
      SetConsumerStatusCmd{"a", 1, "app-1", 1'700'000'000'100, ConsumerStatus::kDeleting,
                           1'700'000'032'000},
      DeregisterConsumerCmd{"a", 1, "app-1", 1'700'000'000'100},
      SetStreamStatusCmd{"b", 2, StreamStatus::kDeleting, 1'700'000'001'000},
      DeleteStreamCmd{"b", 2},
      CreateStreamCmd{SampleStream("b", 3, 2)},
      DeleteStreamCmd{"a", 1},
      // A consumer re-registered under the name of one that was deregistered.
      DeregisterConsumerCmd{"b", 3, "app-1", 1'700'000'000'100},
      RegisterConsumerCmd{"b", 3, SampleConsumer("app-1", 1'700'000'050'000)},
      SetConsumerStatusCmd{"b", 3, "app-1", 1'700'000'050'000, ConsumerStatus::kActive, 0},
      AddTagsCmd{"b", 3, {{"recreated", "yes"}}},
      ReshardCmd{"b", 3, {2}, 1'700'000'040'000,
                 {SplitChild(3, uint128{1} << 100, (uint128{1} << 100) + 99, 1'700'000'041'000, 2,
                             std::nullopt),
                  SplitChild(4, (uint128{1} << 100) + 100, kUint128Max, 1'700'000'041'000, 2,
                             std::nullopt)},
                 5, StreamStatus::kUpdating, 1'700'000'040'500, {}},
  };
}

void PrintTo(const CatalogState& state, std::ostream* os) {
  *os << "{last_revision=" << state.last_revision << " streams=[";
  for (const auto& [name, s] : state.streams) {
    *os << " " << name << "@r" << s.revision << "(status=" << static_cast<int>(s.status)
        << " retention=" << s.retention_hours << " tags=" << s.tags.size()
        << " metrics=" << s.shard_level_metrics.size() << " shards=" << s.shards.size()
        << " consumers=" << s.consumers.size() << ")";
  }
  *os << " ]}";
}

CatalogState StateOf(const Catalog& catalog) {
  return CatalogState{catalog.streams(), catalog.last_revision()};
}

std::vector<CatalogState> ReferenceStates(const std::vector<Command>& script) {
  CatalogTables tables;
  std::vector<CatalogState> states{CatalogState{}};
  for (const Command& cmd : script) {
    EXPECT_TRUE(tables.Validate(cmd).ok()) << CommandName(cmd);
    tables.Apply(cmd);
    states.push_back(CatalogState{tables.streams(), tables.last_revision()});
  }
  return states;
}

std::unique_ptr<Catalog> MustOpen(FileSystem& fs, CatalogOptions options) {
  auto catalog = Catalog::Open(fs, kTestDir, options);
  EXPECT_TRUE(catalog.ok()) << catalog.message();
  return catalog.ok() ? std::move(catalog).value() : nullptr;
}

std::string LogContents(MemFileSystem& fs) {
  auto contents = fs.ReadAll(std::string(kTestDir) + "/" + kMetaLogName);
  return contents.ok() ? *contents : std::string();
}

void WriteLog(MemFileSystem& fs, const std::string& contents) {
  ASSERT_TRUE(fs.CreateDirs(kTestDir).ok());
  auto file = fs.Create(std::string(kTestDir) + "/" + kMetaLogName);
  ASSERT_TRUE(file.ok());
  ASSERT_TRUE((*file)->Append(contents).ok());
  ASSERT_TRUE((*file)->Sync().ok());
  ASSERT_TRUE(fs.SyncDir(kTestDir).ok());
}

}  // namespace shoal::meta::testing
