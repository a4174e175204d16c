#pragma once
// A test fixture with the whole service layer over the real storage engine: an in-memory file
// system, a fake clock, the catalog, the log engine, StreamService and DataPlane. Fixtures
// derive from it, set options_ / data_options_ in SetUp() and call Open().

#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <optional>
#include <string>

#include "common/clock.h"
#include "common/mem_fs.h"
#include "meta/catalog.h"
#include "service/data_plane.h"
#include "service/stream_service.h"
#include "storage/log_engine.h"

namespace shoal::service::testing {

class ServiceFixture : public ::testing::Test {
 protected:
  ServiceFixture() {
    options_.token_key = "k";
    options_.create_delay_ms = 0;
    options_.delete_delay_ms = 0;
  }
  void TearDown() override { Close(); }

  // Opens (or reopens, after Close()) everything on fs_. A deleted stream's logs are dropped.
  void Open() {
    auto c = meta::Catalog::Open(fs_, "/data");
    ASSERT_TRUE(c.ok()) << c.message();
    catalog_ = std::move(*c);
    auto e = storage::OpenLogEngine(fs_, clock_, {.dir = "/data/streams"});
    ASSERT_TRUE(e.ok()) << e.message();
    engine_ = std::move(*e);
    streams_ = std::make_unique<StreamService>(*catalog_, clock_, options_);
    streams_->SetStreamRemovedHook([this](uint64_t rev) { IgnoreError(engine_->DropStream(rev)); });
    data_ = std::make_unique<DataPlane>(*streams_, *engine_, clock_, data_options_);
  }

  void Close() {
    data_.reset();
    streams_.reset();
    if (engine_) engine_->Stop();
    engine_.reset();
    catalog_.reset();
  }

  // A provisioned stream of `shards` shards, or an on-demand one when nullopt.
  void CreateStream(const std::string& name, std::optional<int64_t> shards) {
    CreateStreamRequest r;
    r.name = name;
    r.shard_count = shards;
    ASSERT_TRUE(streams_->CreateStream(r).ok());
  }

  // PutRecords, waiting for the answer.
  SvcResult<PutRecordsResult> Put(PutRecordsRequest r) {
    std::promise<SvcResult<PutRecordsResult>> p;
    data_->PutRecords(std::move(r), [&p](SvcResult<PutRecordsResult> res) {
      p.set_value(std::move(res));
    });
    return p.get_future().get();
  }

  MemFileSystem fs_;
  FakeClock clock_;
  ServiceOptions options_;
  DataPlaneOptions data_options_;
  std::unique_ptr<meta::Catalog> catalog_;
  std::unique_ptr<storage::LogEngine> engine_;
  std::unique_ptr<StreamService> streams_;
  std::unique_ptr<DataPlane> data_;
};

}  // namespace shoal::service::testing
