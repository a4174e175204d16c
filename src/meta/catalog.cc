// Catalog: the command log (meta.log) and the in-memory tables it rebuilds.
//
// Write path (Apply): validate -> append one record -> Sync -> apply to the tables ->
// maybe compact. A failed append or sync is undone by truncating the log back to its size
// before the append and syncing that; if the undo fails too, the log may hold a record the
// tables lack, so the catalog marks itself failed and refuses every later Apply() with kIo
// until it is reopened (reopening replays whatever the log durably holds).
//
// Compaction runs inside Apply(), after the command is durable and applied, when the log is
// larger than options.compact_after_bytes and than twice the last snapshot. It writes the
// snapshot to meta.log.tmp, syncs it, renames it over meta.log and syncs the directory, so a
// crash leaves either the old log or the new one. A failure before the rename only leaves a
// stray meta.log.tmp (removed by the next Open); a failed directory sync after the rename
// fails the catalog, since later appends would go to a file whose name may not survive.
// Apply() still returns OK in both cases: its command is durable either way.

#include "meta/catalog.h"

#include <spdlog/spdlog.h>

#include <cassert>

#include "meta/command_codec.h"
#include "meta/log_format.h"
#include "meta/tables.h"

namespace shoal::meta {
namespace {

MetaStatus IoError(std::string message) { return MetaStatus(MetaErrc::kIo, std::move(message)); }

MetaStatus FromIo(const IoStatus& status) {
  return status.ok() ? MetaStatus::Ok() : IoError(status.message());
}

MetaStatus Corruption(const std::string& path, uint64_t offset, std::string_view what) {
  return MetaStatus(MetaErrc::kCorruption, path + ": record at offset " + std::to_string(offset) +
                                               ": " + std::string(what));
}

// "/a/b" -> "/a"; "b" -> "."
std::string ParentDir(const std::string& dir) {
  size_t slash = dir.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : dir.substr(0, slash);
}

std::string TrimTrailingSlashes(std::string dir) {
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  return dir;
}

class CatalogImpl final : public Catalog {
 public:
  CatalogImpl(FileSystem& fs, std::string dir, CatalogOptions options)
      : fs_(fs),
        dir_(TrimTrailingSlashes(std::move(dir))),
        log_path_(dir_ + "/" + kMetaLogName),
        tmp_path_(dir_ + "/" + kMetaLogTmpName),
        options_(options) {}

  // Open()'s work: prepares the directory, replays the log and opens it for appending.
  MetaStatus Recover();

  MetaStatus Apply(const Command& cmd) override;
  const StreamRecord* FindStream(std::string_view name) const override {
    return tables_.Find(name);
  }
  const StreamTable& streams() const override { return tables_.streams(); }
  uint64_t last_revision() const override { return tables_.last_revision(); }

 private:
  MetaStatus PrepareDir();
  MetaStatus CreateEmptyLog();
  // Rebuilds the tables from `scan`; the log's bytes must outlive the call.
  MetaStatus Replay(const LogScan& scan);
  MetaStatus ReplayRecord(const LogRecord& record, uint32_t* snapshot_streams_left);
  // Appends `record` and syncs it; on failure undoes the append (see the file comment).
  MetaStatus AppendDurably(std::string_view record);
  // Truncates the log back to `size` bytes, durably, and reopens it for appending.
  IoStatus RollBack(uint64_t size);
  void MaybeCompact();
  MetaStatus Compact();
  std::string BuildSnapshot() const;

  FileSystem& fs_;
  const std::string dir_;
  const std::string log_path_;
  const std::string tmp_path_;
  const CatalogOptions options_;
  CatalogTables tables_;
  std::unique_ptr<WritableFile> log_;   // null only while failed_
  uint64_t snapshot_bytes_ = 0;         // size of the snapshot the log starts with (0: none)
  uint64_t next_compaction_floor_ = 0;  // after a failed compaction: wait until this size
  std::string failed_;                  // non-empty: why the catalog refuses to write
};

MetaStatus CatalogImpl::PrepareDir() {
  auto exists = fs_.Exists(dir_);
  if (!exists.ok()) return FromIo(exists.status());
  if (!*exists) {
    SHOAL_RETURN_IF_ERROR(FromIo(fs_.CreateDirs(dir_)));
    SHOAL_RETURN_IF_ERROR(FromIo(fs_.SyncDir(ParentDir(dir_))));
  }
  // A snapshot that never got renamed into place: the old log is still the truth.
  auto tmp = fs_.Exists(tmp_path_);
  if (!tmp.ok()) return FromIo(tmp.status());
  if (*tmp) SHOAL_RETURN_IF_ERROR(FromIo(fs_.Remove(tmp_path_)));
  return MetaStatus::Ok();
}

MetaStatus CatalogImpl::CreateEmptyLog() {
  auto file = fs_.Create(log_path_);
  if (!file.ok()) return FromIo(file.status());
  SHOAL_RETURN_IF_ERROR(FromIo((*file)->Sync()));
  return FromIo(fs_.SyncDir(dir_));
}

MetaStatus CatalogImpl::Recover() {
  // Checked before PrepareDir() removes it: a snapshot without a log is not ours to guess at.
  auto log_exists = fs_.Exists(log_path_);
  if (!log_exists.ok()) return FromIo(log_exists.status());
  auto tmp_exists = fs_.Exists(tmp_path_);
  if (!tmp_exists.ok()) return FromIo(tmp_exists.status());
  if (!*log_exists && *tmp_exists) {
    return MetaStatus(MetaErrc::kCorruption, log_path_ + " is missing but " + tmp_path_ +
                                                 " exists; refusing to start from either");
  }
  SHOAL_RETURN_IF_ERROR(PrepareDir());
  uint64_t valid_bytes = 0;
  bool torn = false;
  if (!*log_exists) {
    SHOAL_RETURN_IF_ERROR(CreateEmptyLog());
  } else {
    auto contents = fs_.ReadAll(log_path_);
    if (!contents.ok()) return FromIo(contents.status());
    auto scan = ScanLog(*contents);
    if (!scan.ok()) return MetaStatus(scan.code(), log_path_ + ": " + scan.message());
    SHOAL_RETURN_IF_ERROR(Replay(*scan));
    valid_bytes = scan->valid_bytes;
    torn = valid_bytes < contents->size();
    if (torn) {
      spdlog::warn("{}: truncating a torn tail of {} bytes at offset {}", log_path_,
                   contents->size() - valid_bytes, valid_bytes);
      SHOAL_RETURN_IF_ERROR(FromIo(fs_.Truncate(log_path_, valid_bytes)));
    }
  }
  auto file = fs_.OpenAppendable(log_path_);
  if (!file.ok()) return FromIo(file.status());
  log_ = std::move(file).value();
  if (torn) SHOAL_RETURN_IF_ERROR(FromIo(log_->Sync()));  // makes the truncation durable
  return MetaStatus::Ok();
}

MetaStatus CatalogImpl::Replay(const LogScan& scan) {
  uint32_t snapshot_streams_left = 0;
  for (const LogRecord& record : scan.records) {
    SHOAL_RETURN_IF_ERROR(ReplayRecord(record, &snapshot_streams_left));
  }
  if (snapshot_streams_left > 0) {
    return MetaStatus(MetaErrc::kCorruption, log_path_ + ": the snapshot ends " +
                                                 std::to_string(snapshot_streams_left) +
                                                 " streams short");
  }
  return MetaStatus::Ok();
}

MetaStatus CatalogImpl::ReplayRecord(const LogRecord& record, uint32_t* snapshot_streams_left) {
  if (record.type == RecordType::kSnapshotHeader) {
    if (record.offset != 0)
      return Corruption(log_path_, record.offset, "snapshot header not first");
    auto header = DecodeSnapshotHeader(record.payload);
    if (!header.ok()) return Corruption(log_path_, record.offset, header.message());
    tables_.RaiseLastRevision(header->last_revision);
    *snapshot_streams_left = header->stream_count;
    snapshot_bytes_ = kRecordHeaderSize + record.payload.size();
    return MetaStatus::Ok();
  }
  auto cmd = DecodeCommand(record.payload);
  if (!cmd.ok()) return Corruption(log_path_, record.offset, cmd.message());
  MetaStatus valid;
  if (*snapshot_streams_left > 0) {
    const auto* create = std::get_if<CreateStreamCmd>(&*cmd);
    if (create == nullptr)
      return Corruption(log_path_, record.offset, "snapshot holds a non-create");
    valid = tables_.ValidateRestore(*create);
  } else {
    valid = tables_.Validate(*cmd);
  }
  if (!valid.ok())
    return Corruption(log_path_, record.offset, "does not apply: " + valid.message());
  tables_.Apply(*cmd);
  assert(tables_.last_revision() >= CommandRevision(*cmd));
  if (*snapshot_streams_left > 0) {
    --*snapshot_streams_left;
    snapshot_bytes_ = record.offset + kRecordHeaderSize + record.payload.size();
  }
  return MetaStatus::Ok();
}

MetaStatus CatalogImpl::Apply(const Command& cmd) {
  if (!failed_.empty()) return IoError("catalog failed earlier; reopen it: " + failed_);
  assert(log_ != nullptr);
  SHOAL_RETURN_IF_ERROR(tables_.Validate(cmd));
  std::string record;
  AppendRecord(&record, RecordType::kCommand, EncodeCommand(cmd));
  SHOAL_RETURN_IF_ERROR(AppendDurably(record));
  tables_.Apply(cmd);
  MaybeCompact();
  return MetaStatus::Ok();
}

MetaStatus CatalogImpl::AppendDurably(std::string_view record) {
  uint64_t before = log_->Size();
  IoStatus status = log_->Append(record);
  if (status.ok()) status = log_->Sync();
  if (status.ok()) return MetaStatus::Ok();
  std::string what = "append to " + log_path_ + " failed: " + status.message();
  IoStatus undo = RollBack(before);
  if (!undo.ok()) {
    failed_ = what + "; truncating back to " + std::to_string(before) +
              " bytes failed too: " + undo.message();
    return IoError(failed_);
  }
  return IoError(what + " (nothing applied; log truncated back to " + std::to_string(before) +
                 " bytes)");
}

IoStatus CatalogImpl::RollBack(uint64_t size) {
  IgnoreError(log_->Close());  // the handle's size no longer matches the file
  log_.reset();
  SHOAL_RETURN_IF_ERROR(fs_.Truncate(log_path_, size));
  auto file = fs_.OpenAppendable(log_path_);
  if (!file.ok()) return file.status();
  SHOAL_RETURN_IF_ERROR((*file)->Sync());
  log_ = std::move(file).value();
  assert(log_->Size() == size);
  return IoStatus::Ok();
}

void CatalogImpl::MaybeCompact() {
  uint64_t size = log_->Size();
  if (size <= options_.compact_after_bytes || size <= 2 * snapshot_bytes_ ||
      size < next_compaction_floor_) {
    return;
  }
  MetaStatus status = Compact();
  if (!status.ok()) {
    // Retrying on every Apply would rewrite the whole catalog per command on a sick disk.
    next_compaction_floor_ = size + options_.compact_after_bytes;
    spdlog::warn("{}: compaction failed: {}", log_path_, status.message());
  }
}

std::string CatalogImpl::BuildSnapshot() const {
  std::string out;
  SnapshotHeader header{.last_revision = tables_.last_revision(),
                        .stream_count = static_cast<uint32_t>(tables_.streams().size())};
  AppendRecord(&out, RecordType::kSnapshotHeader, EncodeSnapshotHeader(header));
  for (const auto& [name, stream] : tables_.streams()) {
    AppendRecord(&out, RecordType::kCommand, EncodeCommand(CreateStreamCmd{stream}));
  }
  return out;
}

MetaStatus CatalogImpl::Compact() {
  std::string snapshot = BuildSnapshot();
  auto tmp = fs_.Create(tmp_path_);
  if (!tmp.ok()) return FromIo(tmp.status());
  IoStatus status = (*tmp)->Append(snapshot);
  if (status.ok()) status = (*tmp)->Sync();
  if (status.ok()) status = fs_.Rename(tmp_path_, log_path_);
  if (!status.ok()) {
    IgnoreError(fs_.Remove(tmp_path_));  // best effort; Open() removes it otherwise
    return FromIo(status);
  }
  // meta.log now names the snapshot; the old handle points at the replaced file.
  IgnoreError(log_->Close());
  log_ = std::move(tmp).value();
  snapshot_bytes_ = snapshot.size();
  assert(log_->Size() == snapshot_bytes_);
  next_compaction_floor_ = 0;
  status = fs_.SyncDir(dir_);
  if (!status.ok()) {
    failed_ = "syncing " + dir_ + " after compaction failed: " + status.message();
    return IoError(failed_);
  }
  return MetaStatus::Ok();
}

}  // namespace

Result<std::unique_ptr<Catalog>, MetaErrc> Catalog::Open(FileSystem& fs, std::string dir,
                                                         CatalogOptions options) {
  auto catalog = std::make_unique<CatalogImpl>(fs, std::move(dir), options);
  SHOAL_RETURN_IF_ERROR(catalog->Recover());
  return std::unique_ptr<Catalog>(std::move(catalog));
}

}  // namespace shoal::meta
