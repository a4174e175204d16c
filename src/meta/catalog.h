#pragma once
// The durable catalog: a command log (meta.log in the data directory) applied to in-memory
// tables. Apply() returns only after the command is durable; Open() replays the log.
// The log format and its recovery rules: docs/formats/meta-log.md.
//
// Compaction happens inside Apply(), after the command is durable and applied: when the log
// exceeds options.compact_after_bytes and twice the size of the last snapshot, the live
// tables are written to meta.log.tmp, synced, renamed over meta.log and the directory is
// synced (a crash at any point leaves the old log or the new one).
//
// Thread-safety: not thread-safe; the owner (service/) serialises access.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "common/fs.h"
#include "common/status.h"
#include "meta/catalog_types.h"
#include "meta/commands.h"
#include "meta/meta_status.h"

namespace shoal::meta {

struct CatalogOptions {
  // The log is rewritten as a snapshot when it grows past this and past twice the size of
  // the last snapshot.
  uint64_t compact_after_bytes = 4 * 1024 * 1024;
};

class Catalog {
 public:
  // Opens (creating if needed) the catalog in `dir`, replaying its log. A torn record at the
  // tail (a crash mid-append) is truncated away; damage anywhere else fails with kCorruption.
  // `fs` must outlive the catalog.
  static Result<std::unique_ptr<Catalog>, MetaErrc> Open(FileSystem& fs, std::string dir,
                                                         CatalogOptions options = {});
  virtual ~Catalog() = default;

  // Validates `cmd` against the tables, appends it to the log, syncs, then applies it.
  // On any error nothing is applied (and the log holds nothing that replay would apply):
  //   kInvalidCommand: rejected by the rules in CatalogTables::Validate (meta/tables.h);
  //     nothing was written.
  //   kIo: the append or sync failed and the append was undone (the log truncated back to
  //     its previous size, durably). If the undo fails as well, the catalog is "failed":
  //     this and every later Apply() return kIo until the catalog is reopened, and the
  //     failed command's outcome is unknown until then (like a commit whose
  //     acknowledgement was lost: the reopened catalog either has it whole or not at all).
  // A compaction failure does not fail the Apply() that triggered it (its command is
  // durable); it is logged and retried after compact_after_bytes more growth, except that
  // a failed directory sync after the rename makes the catalog failed as above.
  virtual MetaStatus Apply(const Command& cmd) = 0;

  virtual const StreamRecord* FindStream(std::string_view name) const = 0;
  // All live streams by name (ascending).
  virtual const std::map<std::string, StreamRecord, std::less<>>& streams() const = 0;
  // The highest revision ever used (also across deleted streams and compactions).
  virtual uint64_t last_revision() const = 0;
};

}  // namespace shoal::meta
