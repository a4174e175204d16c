#include "meta/tables.h"

#include <gtest/gtest.h>

#include "meta/test_util.h"

namespace shoal::meta {
namespace {

using testing::SampleStream;

class CatalogTablesTest : public ::testing::Test {
 protected:
  // Validates and applies, failing the test if `cmd` is rejected.
  void MustApply(const Command& cmd) {
    MetaStatus status = tables_.Validate(cmd);
    ASSERT_TRUE(status.ok()) << status.message();
    tables_.Apply(cmd);
  }
  void ExpectInvalid(const Command& cmd, std::string_view fragment) {
    MetaStatus status = tables_.Validate(cmd);
    ASSERT_FALSE(status.ok()) << CommandName(cmd);
    EXPECT_EQ(status.code(), MetaErrc::kInvalidCommand);
    EXPECT_NE(status.message().find(fragment), std::string::npos) << status.message();
  }

  CatalogTables tables_;
};

TEST_F(CatalogTablesTest, AppliesEveryCommandType) {
  MustApply(CreateStreamCmd{SampleStream("s", 4)});
  EXPECT_EQ(tables_.last_revision(), 4u);
  MustApply(SetStreamStatusCmd{"s", 4, StreamStatus::kUpdating, 99});
  MustApply(SetRetentionCmd{"s", 4, 72});
  MustApply(AddTagsCmd{"s", 4, {{"env", "dev"}, {"new", "1"}}});
  MustApply(RemoveTagsCmd{"s", 4, {"owner", "missing"}});
  MustApply(SetShardLevelMetricsCmd{"s", 4, {"ALL"}});
  const StreamRecord* s = tables_.Find("s");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->status, StreamStatus::kUpdating);
  EXPECT_EQ(s->status_until_ms, 99);
  EXPECT_EQ(s->retention_hours, 72);
  EXPECT_EQ(s->tags,
            (std::map<std::string, std::string>{{"empty", ""}, {"env", "dev"}, {"new", "1"}}));
  EXPECT_EQ(s->shard_level_metrics, std::vector<std::string>{"ALL"});
  MustApply(DeleteStreamCmd{"s", 4});
  EXPECT_EQ(tables_.Find("s"), nullptr);
  EXPECT_EQ(tables_.last_revision(), 4u);
}

TEST_F(CatalogTablesTest, ConsumerCommandsNameAConsumerByNameAndCreationTime) {
  MustApply(CreateStreamCmd{SampleStream("s", 4)});  // has consumers app-1 and app.2
  ExpectInvalid(RegisterConsumerCmd{"s", 4, testing::SampleConsumer("app-1", 5)},
                "consumer 'app-1' already exists");
  ExpectInvalid(RegisterConsumerCmd{"s", 4, testing::SampleConsumer("", 5)},
                "empty consumer name");
  ExpectInvalid(RegisterConsumerCmd{"s", 3, testing::SampleConsumer("c", 5)}, "revision 3");
  MustApply(RegisterConsumerCmd{"s", 4, testing::SampleConsumer("c", 5)});
  ExpectInvalid(SetConsumerStatusCmd{"s", 4, "c", 6, ConsumerStatus::kActive, 0},
                "created at 5, not 6");
  ExpectInvalid(SetConsumerTagsCmd{"s", 4, "nope", 5, {}}, "no consumer 'nope'");
  MustApply(SetConsumerStatusCmd{"s", 4, "c", 5, ConsumerStatus::kActive, 0});
  MustApply(SetConsumerTagsCmd{"s", 4, "c", 5, {{"k", "v"}}});
  const ConsumerRecord& c = tables_.Find("s")->consumers.at("c");
  EXPECT_EQ(c.status, ConsumerStatus::kActive);
  EXPECT_EQ(c.status_until_ms, 0);
  EXPECT_EQ(c.tags, (std::map<std::string, std::string>{{"k", "v"}}));
  ExpectInvalid(DeregisterConsumerCmd{"s", 4, "c", 4}, "created at 5, not 4");
  MustApply(DeregisterConsumerCmd{"s", 4, "c", 5});
  EXPECT_FALSE(tables_.Find("s")->consumers.contains("c"));
  ExpectInvalid(DeregisterConsumerCmd{"s", 4, "c", 5}, "no consumer 'c'");
  // Consumers vanish with their stream; a recreated stream starts without them.
  MustApply(DeleteStreamCmd{"s", 4});
  StreamRecord fresh = SampleStream("s", 5);
  fresh.consumers.clear();
  MustApply(CreateStreamCmd{fresh});
  ExpectInvalid(SetConsumerStatusCmd{"s", 5, "app-1", 1'700'000'000'100,
                                     ConsumerStatus::kDeleting, 1},
                "no consumer 'app-1'");
}

TEST_F(CatalogTablesTest, StreamRecordConsumersMustBeFiledUnderTheirNames) {
  StreamRecord r = SampleStream("s", 1);
  r.consumers["other"] = testing::SampleConsumer("misfiled", 1);
  ExpectInvalid(CreateStreamCmd{r}, "consumer 'misfiled' filed under 'other'");
}

TEST_F(CatalogTablesTest, CreateNeedsAFreeNameAndAHigherRevision) {
  MustApply(CreateStreamCmd{SampleStream("s", 5)});
  ExpectInvalid(CreateStreamCmd{SampleStream("s", 6)}, "already exists with revision 5");
  ExpectInvalid(CreateStreamCmd{SampleStream("t", 5)}, "not above the last revision 5");
  ExpectInvalid(CreateStreamCmd{SampleStream("", 9)}, "empty stream name");
  MustApply(DeleteStreamCmd{"s", 5});
  ExpectInvalid(CreateStreamCmd{SampleStream("s", 3)}, "not above the last revision 5");
  MustApply(CreateStreamCmd{SampleStream("s", 6)});
}

TEST_F(CatalogTablesTest, CreateChecksTheRecordsShape) {
  StreamRecord r = SampleStream("s", 1);
  r.next_shard_index = r.shards.back().index;
  ExpectInvalid(CreateStreamCmd{r}, "not below next_shard_index");
  r = SampleStream("s", 1);
  std::swap(r.shards[0], r.shards[1]);
  ExpectInvalid(CreateStreamCmd{r}, "strictly ascending");
  r = SampleStream("s", 1);
  r.shard_level_metrics = {"B", "A"};
  ExpectInvalid(CreateStreamCmd{r}, "shard_level_metrics");
}

TEST_F(CatalogTablesTest, OtherCommandsNeedTheStreamAtThatRevision) {
  ExpectInvalid(SetRetentionCmd{"s", 1, 48}, "SetRetention 's': no such stream");
  MustApply(CreateStreamCmd{SampleStream("s", 2)});
  std::vector<Command> stale = {SetStreamStatusCmd{"s", 1, StreamStatus::kActive, 0},
                                DeleteStreamCmd{"s", 3},
                                SetRetentionCmd{"s", 1, 48},
                                AddTagsCmd{"s", 1, {}},
                                RemoveTagsCmd{"s", 1, {}},
                                SetShardLevelMetricsCmd{"s", 1, {}}};
  for (const Command& cmd : stale) ExpectInvalid(cmd, "does not match the stream's 2");
  ExpectInvalid(SetShardLevelMetricsCmd{"s", 2, {"X", "X"}}, "sorted and unique");
}

TEST_F(CatalogTablesTest, RestoreAcceptsOlderRevisionsUpToTheHeader) {
  tables_.RaiseLastRevision(10);
  EXPECT_TRUE(tables_.ValidateRestore(CreateStreamCmd{SampleStream("b", 7)}).ok());
  tables_.Apply(CreateStreamCmd{SampleStream("b", 7)});
  EXPECT_TRUE(tables_.ValidateRestore(CreateStreamCmd{SampleStream("a", 3)}).ok());
  EXPECT_FALSE(tables_.ValidateRestore(CreateStreamCmd{SampleStream("c", 11)}).ok());
  EXPECT_FALSE(tables_.ValidateRestore(CreateStreamCmd{SampleStream("c", 0)}).ok());
  EXPECT_FALSE(tables_.ValidateRestore(CreateStreamCmd{SampleStream("b", 8)}).ok());
  EXPECT_EQ(tables_.last_revision(), 10u);
  tables_.RaiseLastRevision(4);
  EXPECT_EQ(tables_.last_revision(), 10u);
}

}  // namespace
}  // namespace shoal::meta

namespace shoal::meta {
namespace {

using testing::SplitChild;

// SampleStream("s", 4): shards 1 (closed), 2, 3; next_shard_index 4.
class ReshardTablesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Command create = CreateStreamCmd{testing::SampleStream("s", 4)};
    ASSERT_TRUE(tables_.Validate(create).ok());
    tables_.Apply(create);
  }
  std::string Why(const Command& cmd) {
    MetaStatus status = tables_.Validate(cmd);
    return status.ok() ? "ok" : status.message();
  }
  CatalogTables tables_;
};

TEST_F(ReshardTablesTest, ClosesParentsAndAddsChildrenAtomically) {
  ReshardCmd split{"s", 4, {2}, 500, {SplitChild(4, 1, 2, 1500, 2, {}), SplitChild(5, 3, 4, 1500, 2, {})},
                   6, StreamStatus::kUpdating, 1000, {500}};
  ASSERT_EQ(Why(split), "ok");
  tables_.Apply(split);
  const StreamRecord& s = *tables_.Find("s");
  ASSERT_EQ(s.shards.size(), 5u);
  EXPECT_EQ(s.shards[1].closed_ms, 500);
  EXPECT_TRUE(s.shards[2].open());
  EXPECT_EQ(s.shards[3], SplitChild(4, 1, 2, 1500, 2, {}));
  EXPECT_EQ(s.next_shard_index, 6u);
  EXPECT_EQ(s.status, StreamStatus::kUpdating);
  EXPECT_EQ(s.status_until_ms, 1000);
  EXPECT_EQ(s.scaling_ops_ms, std::vector<int64_t>{500});

  SetStreamModeCmd mode{"s", 4, StreamMode::kProvisioned, StreamStatus::kUpdating, 9, {7, 8}};
  ASSERT_EQ(Why(mode), "ok");
  tables_.Apply(mode);
  EXPECT_EQ(tables_.Find("s")->mode, StreamMode::kProvisioned);
  EXPECT_EQ(tables_.Find("s")->mode_switches_ms, (std::vector<int64_t>{7, 8}));
}

TEST_F(ReshardTablesTest, RejectsClosingMissingOrClosedShardsAndBadIndexes) {
  auto cmd = [](std::vector<uint32_t> closed, std::vector<ShardRecord> added, uint32_t next) {
    return ReshardCmd{"s", 4, std::move(closed), 1, std::move(added), next,
                      StreamStatus::kUpdating, 2, {}};
  };
  EXPECT_NE(Why(cmd({9}, {}, 4)).find("no shard 9"), std::string::npos);
  EXPECT_NE(Why(cmd({1}, {}, 4)).find("shard 1 is closed"), std::string::npos);
  EXPECT_NE(Why(cmd({3, 2}, {}, 4)).find("not strictly ascending"), std::string::npos);
  EXPECT_NE(Why(cmd({2}, {}, 3)).find("below the stream's 4"), std::string::npos);
  EXPECT_NE(Why(cmd({2}, {SplitChild(3, 0, 1, 0, 2, {})}, 5)).find("new shard index 3"),
            std::string::npos);
  EXPECT_NE(Why(cmd({2}, {SplitChild(5, 0, 1, 0, 2, {}), SplitChild(4, 2, 3, 0, 2, {})}, 6))
                .find("new shard index 4"),
            std::string::npos);
  EXPECT_NE(Why(cmd({2}, {SplitChild(6, 0, 1, 0, 2, {})}, 6)).find("new shard index 6"),
            std::string::npos);
  ReshardCmd stale = cmd({2}, {}, 4);
  stale.revision = 5;
  EXPECT_NE(Why(stale).find("revision 5"), std::string::npos);
  SetStreamModeCmd missing;
  missing.name = "nope";
  missing.revision = 4;
  EXPECT_NE(Why(missing).find("no such stream"), std::string::npos);
}

}  // namespace
}  // namespace shoal::meta
