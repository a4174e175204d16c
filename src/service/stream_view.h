#pragma once
// An immutable snapshot of what the data plane needs to know about a stream: its identity,
// state, limits and shards, with the open shards ordered for routing by hash key. Snapshots
// are shared (shared_ptr<const>) so a request reads one consistent version without holding
// the control plane's lock; a catalog change publishes a new snapshot.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "common/uint128.h"
#include "meta/catalog_types.h"

namespace shoal::service {

struct StreamView {
  std::string name;
  uint64_t revision = 0;
  meta::StreamStatus status = meta::StreamStatus::kActive;
  meta::StreamMode mode = meta::StreamMode::kProvisioned;
  int32_t retention_hours = 24;
  int32_t max_record_size_kib = 1024;
  meta::EncryptionType encryption = meta::EncryptionType::kNone;
  std::vector<meta::ShardRecord> shards;  // every shard, ascending index
  // Indexes into `shards` of the open shards, ascending by starting hash key. The open
  // shards tile the hash key space, so routing is a binary search.
  std::vector<uint32_t> open_by_hash;

  static std::shared_ptr<const StreamView> Of(const meta::StreamRecord& record);

  // nullptr when the stream has no shard with that index.
  const meta::ShardRecord* FindShard(uint32_t index) const;
  // The open shard whose range holds `hash`. REQUIRES: at least one open shard.
  const meta::ShardRecord& Route(uint128 hash) const;
  int64_t retention_ms() const { return int64_t{retention_hours} * 3'600'000; }
};

}  // namespace shoal::service
