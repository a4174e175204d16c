// Kill-point tests: the process "dies" at every mutating file-system operation of a command
// (and mid-write at every byte of its record), the machine crashes, and the catalog is
// reopened. The reopened tables must equal the state before or after that command (after
// only when the command was acknowledged, or when the crash kept its unsynced bytes), and
// the catalog must keep accepting commands.

#include <gtest/gtest.h>

#include "meta/catalog.h"
#include "meta/command_codec.h"
#include "meta/log_format.h"
#include "meta/test_util.h"

namespace shoal::meta {
namespace {

using testing::CatalogState;
using testing::MustOpen;
using testing::StateOf;

const std::vector<MemCrashOptions> kAllCrashes = {
    {.keep_unsynced_data = false, .keep_unsynced_dir_entries = false},
    {.keep_unsynced_data = true, .keep_unsynced_dir_entries = false},
    {.keep_unsynced_data = false, .keep_unsynced_dir_entries = true},
    {.keep_unsynced_data = true, .keep_unsynced_dir_entries = true},
};

std::string Describe(const MemCrashOptions& crash) {
  return std::string("crash{data=") + (crash.keep_unsynced_data ? "keep" : "drop") +
         ", entries=" + (crash.keep_unsynced_dir_entries ? "keep" : "drop") + "}";
}

class CatalogCrashTest : public ::testing::Test {
 protected:
  void SetUp() override { states_ = testing::ReferenceStates(script_); }

  // A fresh file system holding a catalog that has applied the first `n` commands.
  std::unique_ptr<Catalog> Prepare(MemFileSystem& fs, size_t n) {
    auto catalog = MustOpen(fs, options_);
    for (size_t i = 0; i < n && catalog != nullptr; ++i) {
      EXPECT_TRUE(catalog->Apply(script_[i]).ok()) << i;
    }
    return catalog;
  }

  // After a crash during command `i` that returned `status`: reopens, checks the state and
  // that the rest of the script applies on top of it.
  void CheckRecovery(MemFileSystem& fs, size_t i, const MetaStatus& status,
                     const MemCrashOptions& crash, const std::string& where) {
    SCOPED_TRACE(where + " " + Describe(crash));
    auto catalog = MustOpen(fs, options_);
    ASSERT_NE(catalog, nullptr);
    CatalogState got = StateOf(*catalog);
    size_t next;
    if (status.ok()) {
      ASSERT_EQ(got, states_[i + 1]) << "an acknowledged command was lost";
      next = i + 1;
    } else if (!crash.keep_unsynced_data) {
      ASSERT_EQ(got, states_[i]) << "an unacknowledged, unsynced command survived";
      next = i;
    } else {
      // The command failed, but its bytes may have reached the disk before the process died
      // and could not be undone: both outcomes are legal (like any database's "unknown").
      ASSERT_TRUE(got == states_[i] || got == states_[i + 1]) << ::testing::PrintToString(got);
      next = got == states_[i] ? i : i + 1;
    }
    for (size_t j = next; j < script_.size(); ++j) {
      MetaStatus s = catalog->Apply(script_[j]);
      ASSERT_TRUE(s.ok()) << "command " << j << " after recovery: " << s.message();
    }
    EXPECT_EQ(StateOf(*catalog), states_.back());
  }

  std::vector<Command> script_ = testing::Script();
  std::vector<CatalogState> states_;
  CatalogOptions options_;
};

// (a) before the append, (c) after the append but before the sync, (d) after the sync, and
// every other mutating operation of the command: each is a kill point.
TEST_F(CatalogCrashTest, KillAtEveryOperationOfEveryCommand) {
  for (size_t i = 0; i < script_.size(); ++i) {
    for (uint64_t k = 0;; ++k) {
      bool reached_the_end = false;
      for (const MemCrashOptions& crash : kAllCrashes) {
        MemFileSystem fs;
        auto catalog = Prepare(fs, i);
        fs.FreezeAfterOps(k);
        MetaStatus status = catalog->Apply(script_[i]);
        reached_the_end = !fs.frozen();
        catalog.reset();
        fs.SimulateCrash(crash);
        CheckRecovery(fs, i, status, crash,
                      "command " + std::to_string(i) + " kill point " + std::to_string(k));
        if (HasFatalFailure()) return;
      }
      if (reached_the_end) break;
    }
  }
}

// (b) the process dies in the middle of writing the record, after every possible prefix.
TEST_F(CatalogCrashTest, TornAppendAtEveryLength) {
  for (size_t i = 0; i < script_.size(); ++i) {
    size_t record = kRecordHeaderSize + EncodeCommand(script_[i]).size();
    for (size_t keep = 0; keep < record; ++keep) {
      for (const MemCrashOptions& crash : kAllCrashes) {
        MemFileSystem fs;
        auto catalog = Prepare(fs, i);
        fs.FreezeAfterOps(1);  // the append is the last thing that reaches the disk
        fs.TornNextAppend(keep);
        MetaStatus status = catalog->Apply(script_[i]);
        ASSERT_EQ(status.code(), MetaErrc::kIo);
        EXPECT_EQ(StateOf(*catalog), states_[i]);  // nothing applied in memory either
        catalog.reset();
        fs.SimulateCrash(crash);
        CheckRecovery(fs, i, status, crash,
                      "torn " + std::to_string(keep) + "/" + std::to_string(record) +
                          " of command " + std::to_string(i));
        if (HasFatalFailure()) return;
      }
    }
  }
}

// The same kill points with a compaction threshold so low that most commands compact, so
// every step of compaction (create, write, sync, rename, directory sync) is a kill point.
TEST_F(CatalogCrashTest, KillAtEveryStepOfCompaction) {
  options_.compact_after_bytes = 128;
  for (int i = 0; i < 12; ++i) {
    script_.push_back(AddTagsCmd{"b", 3, {{"tag" + std::to_string(i % 4), std::string(20, 'v')}}});
  }
  states_ = testing::ReferenceStates(script_);
  int compactions = 0;
  {
    MemFileSystem fs;
    auto catalog = Prepare(fs, 0);
    for (const Command& cmd : script_) {
      uint64_t dir_syncs = fs.dir_syncs();
      ASSERT_TRUE(catalog->Apply(cmd).ok());
      compactions += fs.dir_syncs() > dir_syncs;
    }
  }
  ASSERT_GE(compactions, 3);
  for (size_t i = 0; i < script_.size(); ++i) {
    for (uint64_t k = 0;; ++k) {
      bool reached_the_end = false;
      for (const MemCrashOptions& crash : kAllCrashes) {
        MemFileSystem fs;
        auto catalog = Prepare(fs, i);
        fs.FreezeAfterOps(k);
        MetaStatus status = catalog->Apply(script_[i]);
        reached_the_end = !fs.frozen();
        catalog.reset();
        fs.SimulateCrash(crash);
        CheckRecovery(fs, i, status, crash,
                      "command " + std::to_string(i) + " kill point " + std::to_string(k));
        if (HasFatalFailure()) return;
      }
      if (reached_the_end) break;
    }
  }
}

// A crash that happens during Open's own recovery (truncating a torn tail) is recoverable
// by the next Open.
TEST_F(CatalogCrashTest, KillDuringRecoveryItself) {
  for (uint64_t k = 0;; ++k) {
    MemFileSystem fs;
    {
      auto catalog = Prepare(fs, 3);
      fs.FreezeAfterOps(1);
      fs.TornNextAppend(7);
      EXPECT_FALSE(catalog->Apply(script_[3]).ok());
    }
    fs.SimulateCrash({.keep_unsynced_data = true});
    fs.FreezeAfterOps(k);
    bool reached_the_end;
    {
      auto interrupted = Catalog::Open(fs, testing::kTestDir, options_);
      reached_the_end = !fs.frozen();
    }
    fs.SimulateCrash({.keep_unsynced_data = true});
    CheckRecovery(fs, 3, MetaStatus(MetaErrc::kIo, "torn"), {},
                  "recovery kill point " + std::to_string(k));
    if (HasFatalFailure() || reached_the_end) return;
  }
}

}  // namespace
}  // namespace shoal::meta
