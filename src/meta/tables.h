#pragma once
// CatalogTables: the catalog's in-memory state and the rules for changing it, with no I/O
// (the durable log around it is Catalog, in catalog.cc). Kept separate so the rules can be
// tested, and reused by replay, without a file system.
//
// Invariants: every live stream's revision is <= last_revision(); last_revision() never
// decreases (it survives the deletion of the stream that carried it).
//
// Thread-safety: none; callers serialise.

#include <cstdint>
#include <functional>
#include <map>
#include <string>

#include "meta/catalog_types.h"
#include "meta/commands.h"
#include "meta/meta_status.h"

namespace shoal::meta {

using StreamTable = std::map<std::string, StreamRecord, std::less<>>;

class CatalogTables {
 public:
  // OK if `cmd` can be applied now, else kInvalidCommand saying why:
  //   CreateStream: the name is free, non-empty, and record.revision > last_revision();
  //     the record is well formed (shards in strictly ascending index order, each below
  //     next_shard_index; shard_level_metrics sorted and unique).
  //   Every other command: a stream of that name exists with exactly that revision;
  //     SetShardLevelMetrics' metrics are sorted and unique; Reshard closes existing open
  //     shards (indexes strictly ascending) and adds shards with strictly ascending indexes
  //     in [the stream's next_shard_index, the command's next_shard_index);
  //     RegisterConsumer names a non-empty consumer the stream does not have; the other
  //     consumer commands name a consumer of the stream with exactly that creation time.
  //   A stream record's consumers are each filed under their own (non-empty) name.
  MetaStatus Validate(const Command& cmd) const;

  // Like Validate() for a CreateStream that restores a stream from a snapshot: the revision
  // must be in [1, last_revision()] instead of above it (streams are listed by name, not
  // in revision order, after the header has raised last_revision()).
  MetaStatus ValidateRestore(const CreateStreamCmd& cmd) const;

  // REQUIRES: Validate(cmd).ok() (or ValidateRestore for a restored CreateStream).
  void Apply(const Command& cmd);

  // Raises last_revision() to at least `revision` (a snapshot header).
  void RaiseLastRevision(uint64_t revision);

  const StreamTable& streams() const { return streams_; }
  const StreamRecord* Find(std::string_view name) const;
  uint64_t last_revision() const { return last_revision_; }

  bool operator==(const CatalogTables&) const = default;

 private:
  // Checks that the stream named by a non-create command exists with its revision.
  MetaStatus ValidateTarget(const Command& cmd) const;
  MetaStatus ValidateReshard(const ReshardCmd& cmd, const StreamRecord& stream) const;

  StreamTable streams_;
  uint64_t last_revision_ = 0;
};

}  // namespace shoal::meta
