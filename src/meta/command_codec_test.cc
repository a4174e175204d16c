#include "meta/command_codec.h"

#include <gtest/gtest.h>

#include <limits>
#include <random>

#include "meta/test_util.h"

namespace shoal::meta {
namespace {

using testing::OneOfEachCommand;

TEST(CommandCodecTest, EveryCommandTypeRoundTrips) {
  std::vector<Command> commands = OneOfEachCommand();
  ASSERT_EQ(commands.size(), std::variant_size_v<Command>);
  for (const Command& cmd : commands) {
    std::string encoded = EncodeCommand(cmd);
    auto decoded = DecodeCommand(encoded);
    ASSERT_TRUE(decoded.ok()) << CommandName(cmd) << ": " << decoded.message();
    EXPECT_TRUE(*decoded == cmd) << CommandName(cmd);
    EXPECT_EQ(decoded->index(), cmd.index());
  }
}

TEST(CommandCodecTest, DefaultValuedCommandsRoundTrip) {
  std::vector<Command> commands = {
      CreateStreamCmd{}, SetStreamStatusCmd{}, DeleteStreamCmd{},        SetRetentionCmd{},
      AddTagsCmd{},      RemoveTagsCmd{},      SetShardLevelMetricsCmd{}, ReshardCmd{},
      SetStreamModeCmd{}, RegisterConsumerCmd{}, SetConsumerStatusCmd{},
      DeregisterConsumerCmd{}, SetConsumerTagsCmd{}};
  for (const Command& cmd : commands) {
    auto decoded = DecodeCommand(EncodeCommand(cmd));
    ASSERT_TRUE(decoded.ok()) << CommandName(cmd) << ": " << decoded.message();
    EXPECT_TRUE(*decoded == cmd) << CommandName(cmd);
  }
}

TEST(CommandCodecTest, ExtremeValuesRoundTrip) {
  StreamRecord r = testing::SampleStream("x", std::numeric_limits<uint64_t>::max());
  r.status_until_ms = std::numeric_limits<int64_t>::min();
  r.created_ms = std::numeric_limits<int64_t>::max();
  r.retention_hours = std::numeric_limits<int32_t>::min();
  r.next_shard_index = std::numeric_limits<uint32_t>::max();
  r.shards[0].starting_hash_key = kUint128Max;
  r.shards[0].parent = std::numeric_limits<uint32_t>::max();
  r.name = std::string("\0bin\xff", 5);
  Command cmd = CreateStreamCmd{r};
  auto decoded = DecodeCommand(EncodeCommand(cmd));
  ASSERT_TRUE(decoded.ok()) << decoded.message();
  EXPECT_TRUE(*decoded == cmd);
}

// The tag table is part of the on-disk format: these numbers must never change.
TEST(CommandCodecTest, TagsAndVersionArePinned) {
  std::vector<Command> commands = OneOfEachCommand();
  for (size_t i = 0; i < commands.size(); ++i) {
    std::string encoded = EncodeCommand(commands[i]);
    EXPECT_EQ(static_cast<uint8_t>(encoded[0]), 3) << i;
    EXPECT_EQ(static_cast<uint8_t>(encoded[1]), i + 1) << i;
  }
  EXPECT_EQ(commands.size(), 13u);
  EXPECT_EQ(EncodeCommand(DeleteStreamCmd{"s", 300}), std::string("\x03\x03\x01s\xac\x02", 6));
  EXPECT_EQ(EncodeCommand(DeregisterConsumerCmd{"s", 1, "c", 2}),
            std::string("\x03\x0c\x01s\x01\x01" "c" "\x02\0\0\0\0\0\0\0", 15));
}

// Version 1 payloads (written before the reshard commands existed) still decode: the same
// bodies, except that a StreamRecord has no history lists.
TEST(CommandCodecTest, DecodesVersionOnePayloads) {
  EXPECT_EQ(*DecodeCommand(std::string("\x01\x03\x01s\xac\x02", 6)),
            Command(DeleteStreamCmd{"s", 300}));
  StreamRecord r = testing::SampleStream("old", 4);
  r.consumers.clear();
  std::string v3 = EncodeCommand(CreateStreamCmd{r});
  ASSERT_EQ(v3.back(), '\0');  // the consumer count
  std::string v2 = v3.substr(0, v3.size() - 1);
  v2[0] = 2;
  // Drop the two history lists (2 and 1 fixed64 entries after their counts) at the end.
  std::string v1 = v2.substr(0, v2.size() - (1 + 2 * 8) - (1 + 1 * 8));
  v1[0] = 1;
  auto decoded = DecodeCommand(v1);
  ASSERT_TRUE(decoded.ok()) << decoded.message();
  r.scaling_ops_ms.clear();
  r.mode_switches_ms.clear();
  EXPECT_EQ(*decoded, Command(CreateStreamCmd{r}));
  std::string v2_as_v1 = v2;
  v2_as_v1[0] = 1;
  EXPECT_FALSE(DecodeCommand(v2_as_v1).ok()) << "a version 1 record does not carry the lists";
  // The new commands did not exist in version 1.
  ReshardCmd old_reshard;
  old_reshard.name = "s";
  std::string reshard = EncodeCommand(old_reshard);
  reshard[0] = 1;
  EXPECT_FALSE(DecodeCommand(reshard).ok());
  reshard[0] = 2;
  EXPECT_TRUE(DecodeCommand(reshard).ok());
  std::string header = EncodeSnapshotHeader({.last_revision = 5, .stream_count = 2});
  header[0] = 1;
  ASSERT_TRUE(DecodeSnapshotHeader(header).ok());
  EXPECT_EQ(DecodeSnapshotHeader(header)->last_revision, 5u);
}

// Version 2 payloads (written before consumers existed): a StreamRecord without consumers,
// and none of the consumer commands.
TEST(CommandCodecTest, DecodesVersionTwoPayloads) {
  StreamRecord r = testing::SampleStream("v2", 4);
  std::string v3 = EncodeCommand(CreateStreamCmd{r});
  r.consumers.clear();
  std::string v2 = EncodeCommand(CreateStreamCmd{r});
  v2.pop_back();  // the consumer count
  v2[0] = 2;
  auto decoded = DecodeCommand(v2);
  ASSERT_TRUE(decoded.ok()) << decoded.message();
  EXPECT_EQ(*decoded, Command(CreateStreamCmd{r}));
  v3[0] = 2;
  EXPECT_FALSE(DecodeCommand(v3).ok()) << "a version 2 record does not carry consumers";
  for (const Command& cmd : testing::OneOfEachCommand()) {
    std::string encoded = EncodeCommand(cmd);
    if (static_cast<uint8_t>(encoded[1]) < 10) continue;
    encoded[0] = 2;
    auto old = DecodeCommand(encoded);
    ASSERT_FALSE(old.ok()) << CommandName(cmd);
    EXPECT_NE(old.message().find("does not exist in format version 2"), std::string::npos)
        << old.message();
  }
}

TEST(CommandCodecTest, RejectsUnsortedConsumers) {
  StreamRecord r = testing::SampleStream("s", 1);
  std::string good = EncodeCommand(CreateStreamCmd{r});
  // The two consumers are "app-1" then "app.2"; swapping their names breaks the order.
  size_t first = good.find("app-1");
  size_t second = good.find("app.2");
  ASSERT_NE(first, std::string::npos);
  ASSERT_NE(second, std::string::npos);
  std::string bad = good;
  bad.replace(first, 5, "app.2");
  bad.replace(second, 5, "app-1");
  auto decoded = DecodeCommand(bad);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.message().find("consumers"), std::string::npos) << decoded.message();
}

TEST(CommandCodecTest, RejectsUnknownVersionTagAndTrailingBytes) {
  std::string good = EncodeCommand(DeleteStreamCmd{"s", 1});
  std::string bad_version = good;
  bad_version[0] = 4;
  EXPECT_NE(DecodeCommand(bad_version).message().find("version"), std::string::npos);
  for (uint8_t tag : {0, 14, 255}) {
    std::string bad_tag = good;
    bad_tag[1] = static_cast<char>(tag);
    auto decoded = DecodeCommand(bad_tag);
    ASSERT_FALSE(decoded.ok()) << int{tag};
    EXPECT_EQ(decoded.code(), MetaErrc::kCorruption);
  }
  EXPECT_FALSE(DecodeCommand(good + "x").ok());
  EXPECT_FALSE(DecodeCommand("").ok());
}

TEST(CommandCodecTest, RejectsUnsortedOrDuplicateTagKeys) {
  std::string encoded = EncodeCommand(AddTagsCmd{"s", 1, {{"a", "1"}, {"b", "2"}}});
  // Swap the keys "a" and "b" in place: both are one byte long.
  size_t a = encoded.find('a');
  size_t b = encoded.find('b');
  std::swap(encoded[a], encoded[b]);
  EXPECT_NE(DecodeCommand(encoded).message().find("ascending"), std::string::npos);
  encoded[a] = 'a';
  encoded[b] = 'a';
  EXPECT_FALSE(DecodeCommand(encoded).ok());
}

// Every proper prefix of every encoding is rejected, and every single-bit flip is either
// rejected or decodes to something that re-encodes to exactly the flipped bytes (the
// encoding is canonical); nothing crashes.
TEST(CommandCodecTest, TruncationsAndBitFlipsNeverCrash) {
  for (const Command& cmd : OneOfEachCommand()) {
    std::string encoded = EncodeCommand(cmd);
    for (size_t n = 0; n < encoded.size(); ++n) {
      EXPECT_FALSE(DecodeCommand(std::string_view(encoded).substr(0, n)).ok())
          << CommandName(cmd) << " prefix " << n;
    }
    for (size_t bit = 0; bit < encoded.size() * 8; ++bit) {
      std::string flipped = encoded;
      flipped[bit / 8] = static_cast<char>(flipped[bit / 8] ^ (1 << (bit % 8)));
      auto decoded = DecodeCommand(flipped);
      if (decoded.ok() && bit < 8) {
        // The version byte turned into an older version with the same body: the same command.
        EXPECT_LT(static_cast<uint8_t>(flipped[0]), kCommandFormatVersion);
        EXPECT_EQ(EncodeCommand(*decoded), encoded) << CommandName(cmd) << " bit " << bit;
      } else if (decoded.ok()) {
        EXPECT_EQ(EncodeCommand(*decoded), flipped) << CommandName(cmd) << " bit " << bit;
      } else {
        EXPECT_EQ(decoded.code(), MetaErrc::kCorruption);
      }
    }
  }
}

TEST(CommandCodecTest, RandomBytesNeverCrash) {
  std::mt19937_64 rng(42);
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string junk(rng() % 64, '\0');
    for (char& c : junk) c = static_cast<char>(rng());
    if (!junk.empty()) junk[0] = kCommandFormatVersion;               // a valid version
    if (junk.size() > 1) junk[1] = static_cast<char>(1 + rng() % 9);  // and tag
    auto decoded = DecodeCommand(junk);
    if (decoded.ok()) {
      ++accepted;
      EXPECT_EQ(EncodeCommand(*decoded), junk);
    }
  }
  EXPECT_LT(accepted, 20000);
}

TEST(CommandCodecTest, SnapshotHeaderRoundTripsAndRejectsDamage) {
  SnapshotHeader header{.last_revision = 1ull << 40, .stream_count = 12345};
  std::string encoded = EncodeSnapshotHeader(header);
  auto decoded = DecodeSnapshotHeader(encoded);
  ASSERT_TRUE(decoded.ok()) << decoded.message();
  EXPECT_EQ(*decoded, header);
  for (size_t n = 0; n < encoded.size(); ++n) {
    EXPECT_FALSE(DecodeSnapshotHeader(std::string_view(encoded).substr(0, n)).ok()) << n;
  }
  EXPECT_FALSE(DecodeSnapshotHeader(encoded + '\0').ok());
}

}  // namespace
}  // namespace shoal::meta
