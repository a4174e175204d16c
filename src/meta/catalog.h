#pragma once
// The durable catalog: a command log (meta.log in the data directory) applied to in-memory
// tables. Apply() returns only after the command is durable; Open() replays the log.
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

namespace shoal::meta {

enum class MetaErrc {
  kIo,              // the file system failed; the command was not applied
  kCorruption,      // a damaged record before the log's tail (never skipped silently)
  kInvalidCommand,  // the command does not fit the tables (unknown stream, stale revision, ...)
};
using MetaStatus = Status<MetaErrc>;

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
  // On any error nothing is applied (and the log holds nothing that replay would apply).
  virtual MetaStatus Apply(const Command& cmd) = 0;

  virtual const StreamRecord* FindStream(std::string_view name) const = 0;
  // All live streams by name (ascending).
  virtual const std::map<std::string, StreamRecord, std::less<>>& streams() const = 0;
  // The highest revision ever used (also across deleted streams and compactions).
  virtual uint64_t last_revision() const = 0;
};

}  // namespace shoal::meta
