#pragma once
// The slot coroutines of each workload, and the setup/teardown steps. Each slot loops until
// ctx.Continue() says the phase is over; see runner.h for what a slot may touch.

#include <string>
#include <vector>

#include "runner.h"

namespace shoal::loadgen {

// PutRecords with bodies from shared.put_records.
Task<void> PutRecordsSlot(SlotContext& ctx);
// PutRecord with bodies from shared.put_record.
Task<void> PutRecordSlot(SlotContext& ctx);
// One operation with an empty input ({}), e.g. ListStreams or DescribeLimits.
Task<void> EmptyInputSlot(SlotContext& ctx, Op op);
// Reads its share of shared.shard_ids (shard i goes to slot i % slot_count) from TRIM_HORIZON
// until caught up, options().passes times.
Task<void> GetRecordsSlot(SlotContext& ctx);
// PutRecord of one record, then GetRecords on its shard until that record is returned.
Task<void> PutGetLatencySlot(SlotContext& ctx);
// PutRecord round-robin over every shard (ExplicitHashKey = the shard's StartingHashKey), so
// each shard gets the same share; with --rate R and N shards each shard gets R/N records/s.
Task<void> PutRecordAllShardsSlot(SlotContext& ctx);

// Subscribes to shard (index % shards) through shared.consumer_arn (one streaming HTTP/1.1
// connection of its own), then loops: PutRecord to that shard (ExplicitHashKey), wait until the
// record's event arrives (or --event-timeout), book put start -> event arrival. Resubscribes
// after the stream ends (from the last ContinuationSequenceNumber).
Task<void> SubscribeLatencySlot(SlotContext& ctx);

struct SetupResult {
  bool ok = false;
  std::string error;
  bool unsupported = false;  // the target answered that it cannot do this (error = its answer)
  std::vector<std::string> shard_ids;
  std::vector<std::string> shard_starting_hash_keys;
  std::string stream_arn;
  std::string consumer_arn;
};
// Creates the stream when options().create (an existing one is used as is), waits until it
// is ACTIVE and lists its shards.
Task<void> PrepareStream(SlotContext& ctx, SetupResult& out);
// Registers options().consumer on the stream (an existing one is reused) and waits until it is
// ACTIVE; sets out.consumer_arn. An error answer to RegisterStreamConsumer sets unsupported.
// `name` defaults to options().consumer.
Task<void> PrepareConsumer(SlotContext& ctx, SetupResult& out, std::string name = {});
// Deletes the stream (options().delete_after).
Task<void> DeleteStream(SlotContext& ctx, SetupResult& out);

}  // namespace shoal::loadgen
