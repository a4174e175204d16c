// Model-based random test: random commands (valid and invalid) with random I/O faults,
// crashes and reopens, checked after every step against a plain std::map model that shares
// no code with the catalog's tables.

#include <gtest/gtest.h>

#include <cstdio>
#include <map>
#include <optional>
#include <random>

#include "meta/catalog.h"
#include "meta/overloaded.h"
#include "meta/test_util.h"

namespace shoal::meta {
namespace {

// The model: the rules of commands.h, written as plainly as possible.
struct Model {
  std::map<std::string, StreamRecord> streams;
  uint64_t last_revision = 0;

  bool operator==(const Model&) const = default;

  bool Valid(const Command& cmd) const {
    if (const auto* c = std::get_if<CreateStreamCmd>(&cmd)) {
      return !streams.contains(c->record.name) && c->record.revision > last_revision;
    }
    auto it = streams.find(CommandStreamName(cmd));
    if (it == streams.end() || it->second.revision != CommandRevision(cmd)) return false;
    const auto& consumers = it->second.consumers;
    if (const auto* c = std::get_if<RegisterConsumerCmd>(&cmd)) {
      return !c->consumer.name.empty() && !consumers.contains(c->consumer.name);
    }
    auto has = [&](const std::string& name, int64_t created_ms) {
      auto found = consumers.find(name);
      return found != consumers.end() && found->second.created_ms == created_ms;
    };
    if (const auto* c = std::get_if<SetConsumerStatusCmd>(&cmd))
      return has(c->consumer, c->consumer_created_ms);
    if (const auto* c = std::get_if<DeregisterConsumerCmd>(&cmd))
      return has(c->consumer, c->consumer_created_ms);
    if (const auto* c = std::get_if<SetConsumerTagsCmd>(&cmd))
      return has(c->consumer, c->consumer_created_ms);
    return true;
  }

  // REQUIRES: Valid(cmd).
  void Apply(const Command& cmd) {
    std::visit(
        Overloaded{
            [&](const CreateStreamCmd& c) {
              streams[c.record.name] = c.record;
              last_revision = c.record.revision;
            },
            [&](const SetStreamStatusCmd& c) {
              streams[c.name].status = c.status;
              streams[c.name].status_until_ms = c.status_until_ms;
            },
            [&](const DeleteStreamCmd& c) { streams.erase(c.name); },
            [&](const SetRetentionCmd& c) { streams[c.name].retention_hours = c.retention_hours; },
            [&](const AddTagsCmd& c) {
              for (const auto& [k, v] : c.tags) streams[c.name].tags[k] = v;
            },
            [&](const RemoveTagsCmd& c) {
              for (const auto& k : c.keys) streams[c.name].tags.erase(k);
            },
            [&](const SetShardLevelMetricsCmd& c) {
              streams[c.name].shard_level_metrics = c.metrics;
            },
            // Not generated below (their validity depends on the shards); the crash and
            // tables tests cover them.
            [&](const ReshardCmd& c) {
              StreamRecord& s = streams[c.name];
              for (auto& shard : s.shards) {
                for (uint32_t index : c.closed) {
                  if (shard.index == index) shard.closed_ms = c.closed_ms;
                }
              }
              for (const auto& shard : c.new_shards) s.shards.push_back(shard);
              s.next_shard_index = c.next_shard_index;
              s.status = c.status;
              s.status_until_ms = c.status_until_ms;
              s.scaling_ops_ms = c.scaling_ops_ms;
            },
            [&](const SetStreamModeCmd& c) {
              StreamRecord& s = streams[c.name];
              s.mode = c.mode;
              s.status = c.status;
              s.status_until_ms = c.status_until_ms;
              s.mode_switches_ms = c.mode_switches_ms;
            },
            [&](const RegisterConsumerCmd& c) {
              streams[c.name].consumers[c.consumer.name] = c.consumer;
            },
            [&](const SetConsumerStatusCmd& c) {
              ConsumerRecord& consumer = streams[c.name].consumers[c.consumer];
              consumer.status = c.status;
              consumer.status_until_ms = c.status_until_ms;
            },
            [&](const DeregisterConsumerCmd& c) { streams[c.name].consumers.erase(c.consumer); },
            [&](const SetConsumerTagsCmd& c) { streams[c.name].consumers[c.consumer].tags = c.tags; },
        },
        cmd);
  }
};

Model ModelOf(const Catalog& catalog) {
  Model m;
  m.streams.insert(catalog.streams().begin(), catalog.streams().end());
  m.last_revision = catalog.last_revision();
  return m;
}

class RandomCommands {
 public:
  explicit RandomCommands(uint64_t seed) : rng_(seed) {}

  Command Next(const Model& model) {
    std::string name = Pick({"alpha", "beta", "gamma", "delta", "epsilon"});
    uint64_t revision = RevisionFor(model, name);
    if (Chance(0.3)) return NextConsumerCommand(model, name, revision);
    switch (Uniform(0, 9)) {
      case 0:
      case 1: {
        uint64_t next = model.last_revision + 1;
        uint64_t rev = Chance(0.9) ? next + Uniform(0, 2) : Uniform(0, static_cast<int>(next));
        return CreateStreamCmd{
            testing::SampleStream(name, rev, static_cast<uint32_t>(Uniform(0, 4)))};
      }
      case 2:
        return SetStreamStatusCmd{name, revision, static_cast<StreamStatus>(Uniform(0, 3)),
                                  Uniform(0, 1'000'000)};
      case 3:
        return DeleteStreamCmd{name, revision};
      case 4:
        return SetRetentionCmd{name, revision, static_cast<int32_t>(Uniform(24, 8760))};
      case 5:
      case 6: {
        std::map<std::string, std::string> tags;
        for (int i = Uniform(0, 3); i > 0; --i)
          tags[Pick({"a", "b", "c", "d"})] = std::string(Uniform(0, 30), 'x');
        return AddTagsCmd{name, revision, tags};
      }
      case 7:
        return RemoveTagsCmd{name, revision, {Pick({"a", "b", "env", "zz"}), Pick({"c", "owner"})}};
      default: {
        std::vector<std::string> metrics;
        for (const char* m : {"ALL", "IncomingBytes", "OutgoingBytes"}) {
          if (Chance(0.5)) metrics.push_back(m);
        }
        return SetShardLevelMetricsCmd{name, revision, metrics};
      }
    }
  }

  // A consumer command; usually naming an existing consumer with its creation time.
  Command NextConsumerCommand(const Model& model, const std::string& name, uint64_t revision) {
    std::string consumer = Pick({"app-1", "app.2", "c", "d"});
    int64_t created_ms = Uniform(0, 3) * 1000;
    auto it = model.streams.find(name);
    if (it != model.streams.end() && Chance(0.8)) {
      auto found = it->second.consumers.find(consumer);
      if (found != it->second.consumers.end()) created_ms = found->second.created_ms;
    }
    switch (Uniform(0, 3)) {
      case 0:
        return RegisterConsumerCmd{name, revision, testing::SampleConsumer(consumer, created_ms)};
      case 1:
        return SetConsumerStatusCmd{name, revision, consumer, created_ms,
                                    static_cast<ConsumerStatus>(Uniform(0, 2)),
                                    Uniform(0, 1'000'000)};
      case 2:
        return DeregisterConsumerCmd{name, revision, consumer, created_ms};
      default:
        return SetConsumerTagsCmd{name, revision, consumer, created_ms,
                                  {{Pick({"a", "b"}), std::string(Uniform(0, 20), 'y')}}};
    }
  }

  int Uniform(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  bool Chance(double p) { return std::bernoulli_distribution(p)(rng_); }
  std::string Pick(std::initializer_list<const char*> options) {
    return *(options.begin() + Uniform(0, static_cast<int>(options.size()) - 1));
  }

 private:
  // Usually the stream's real revision; sometimes a stale or future one.
  uint64_t RevisionFor(const Model& model, const std::string& name) {
    auto it = model.streams.find(name);
    uint64_t real = it == model.streams.end() ? model.last_revision : it->second.revision;
    return Chance(0.85) ? real : real + Uniform(0, 2) - 1;
  }

  std::mt19937_64 rng_;
};

// Arms one random fault; returns a description for failure messages.
std::string ArmRandomFault(MemFileSystem& fs, RandomCommands& random) {
  switch (random.Uniform(0, 3)) {
    case 0: {
      int k = random.Uniform(0, 7);
      fs.FreezeAfterOps(k);
      return "freeze after " + std::to_string(k);
    }
    case 1: {
      int keep = random.Uniform(0, 300);
      fs.FreezeAfterOps(1);
      fs.TornNextAppend(keep);
      return "torn append keeping " + std::to_string(keep);
    }
    case 2:
      if (random.Chance(0.5)) {
        fs.FailNextSync(MemFileSystem::FailedSync::kDataDurable);
        return "failed sync that wrote anyway";
      }
      fs.FailNextSync();
      return "failed sync";
    default: {
      int bytes = random.Uniform(0, 400);
      fs.FailAfterBytes(bytes);
      return "no space after " + std::to_string(bytes);
    }
  }
}

void RunModelTest(uint64_t seed, int steps) {
  SCOPED_TRACE("seed " + std::to_string(seed));
  MemFileSystem fs;
  RandomCommands random(seed);
  CatalogOptions options{.compact_after_bytes = 1024};
  auto catalog = testing::MustOpen(fs, options);
  Model model;
  int applied = 0, rejected = 0, io_errors = 0, crashes = 0, resurrected = 0;
  for (int step = 0; step < steps; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    Command cmd = random.Next(model);
    std::string fault = random.Chance(0.15) ? ArmRandomFault(fs, random) : "none";
    MetaStatus status = catalog->Apply(cmd);
    std::optional<Command> unknown_outcome;
    if (status.ok()) {
      ASSERT_TRUE(model.Valid(cmd)) << CommandName(cmd) << " accepted; fault " << fault;
      model.Apply(cmd);
      ++applied;
    } else if (status.code() == MetaErrc::kInvalidCommand) {
      ASSERT_FALSE(model.Valid(cmd)) << status.message();
      ++rejected;
    } else {
      ASSERT_EQ(status.code(), MetaErrc::kIo) << status.message();
      ASSERT_TRUE(model.Valid(cmd)) << "validation must come before I/O";
      unknown_outcome = cmd;
      ++io_errors;
    }
    ASSERT_TRUE(ModelOf(*catalog) == model) << "in-memory tables diverged; fault " << fault;

    bool must_crash = fs.frozen() || (!status.ok() && status.code() == MetaErrc::kIo &&
                                      status.message().find("reopen") != std::string::npos);
    if (!must_crash && !random.Chance(0.05)) {
      fs.ClearFaults();  // the process lives on; an undone command stays undone
      continue;
    }
    MemCrashOptions crash{.keep_unsynced_data = random.Chance(0.5),
                          .keep_unsynced_dir_entries = random.Chance(0.5)};
    bool clean = !must_crash && random.Chance(0.3);  // a clean shutdown and reopen
    catalog.reset();
    if (clean) {
      fs.ClearFaults();  // faults armed but not fired would hit the reopen
    } else {
      fs.SimulateCrash(crash);
      ++crashes;
    }
    catalog = testing::MustOpen(fs, options);
    ASSERT_NE(catalog, nullptr);
    Model recovered = ModelOf(*catalog);
    if (recovered == model) continue;
    // Only a command whose failure the process could not undo may have survived, and only
    // if the crash kept its unsynced bytes.
    ASSERT_TRUE(unknown_outcome.has_value() && !clean && crash.keep_unsynced_data)
        << "recovered state differs; fault " << fault;
    model.Apply(*unknown_outcome);
    ASSERT_TRUE(recovered == model) << "recovered state is neither before nor after";
    ++resurrected;
  }
  // Every outcome should have been exercised.
  EXPECT_GT(applied, steps / 4);
  EXPECT_GT(rejected, 0);
  EXPECT_GT(io_errors, 0);
  EXPECT_GT(crashes, 0);
  EXPECT_GT(resurrected, 0);
  std::printf("seed %llu: %d applied, %d rejected, %d I/O errors, %d crashes, %d resurrected\n",
              static_cast<unsigned long long>(seed), applied, rejected, io_errors, crashes,
              resurrected);
}

TEST(CatalogModelTest, RandomCommandsFaultsAndCrashesMatchTheModel) {
  for (uint64_t seed = 1; seed <= 8; ++seed) {
    RunModelTest(seed, 3000);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace shoal::meta
