#pragma once
// Shared fixtures for the meta tests: sample commands, a scripted command sequence and a
// comparable snapshot of a catalog's state.

#include <cstdint>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/mem_fs.h"
#include "meta/catalog.h"
#include "meta/tables.h"

namespace shoal::meta::testing {

inline constexpr char kTestDir[] = "/data/meta";

// A stream with every field set to a non-default value.
StreamRecord SampleStream(std::string name, uint64_t revision, uint32_t shards = 3);

// A CREATING consumer with a tag.
ConsumerRecord SampleConsumer(std::string name, int64_t created_ms);

// A new shard (for ReshardCmds in tests).
ShardRecord SplitChild(uint32_t index, uint128 start, uint128 end, int64_t created_ms,
                       std::optional<uint32_t> parent, std::optional<uint32_t> adjacent);

// One command of every type, with every field populated.
std::vector<Command> OneOfEachCommand();

// A valid sequence using every command type, including delete and recreate of a name.
std::vector<Command> Script();

// What a catalog holds; equality compares full StreamRecords.
struct CatalogState {
  StreamTable streams;
  uint64_t last_revision = 0;
  bool operator==(const CatalogState&) const = default;
};
void PrintTo(const CatalogState& state, std::ostream* os);

CatalogState StateOf(const Catalog& catalog);

// states[i] is the state after the first i commands of `script` (states[0] is empty).
std::vector<CatalogState> ReferenceStates(const std::vector<Command>& script);

// Opens the catalog in kTestDir, failing the test on error.
std::unique_ptr<Catalog> MustOpen(FileSystem& fs, CatalogOptions options = {});

// The log file's current contents ("" when missing).
std::string LogContents(MemFileSystem& fs);

// Replaces the log with `contents`, durably.
void WriteLog(MemFileSystem& fs, const std::string& contents);

}  // namespace shoal::meta::testing
