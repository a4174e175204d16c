#include "service/fanout/subscription.h"

#include <fmt/format.h>

namespace shoal::service {

Subscription::Subscription(StreamService& streams, DataPlane& data, ShardCursor cursor,
                           ConsumerInfo consumer, const FanOutOptions& options, int64_t now_ms)
    : streams_(streams),
      data_(data),
      cursor_(std::move(cursor)),
      shard_(cursor_.view->FindShard(cursor_.shard)),
      consumer_(std::move(consumer)),
      options_(options),
      started_ms_(now_ms),
      last_event_ms_(now_ms),
      read_budget_(options.read_bytes_per_sec, options.read_bytes_per_sec, now_ms * 1'000'000) {}

std::string Subscription::Continuation() const {
  if (last_delivered_) return *last_delivered_;
  // Nothing delivered yet: the number just before the start, so AFTER_SEQUENCE_NUMBER resumes
  // exactly there (counter 0 stands for "before the first record").
  uint64_t before = cursor_.position > 0 ? cursor_.position - 1 : 0;
  return ShardSequenceNumber(*shard_, before, shard_->created_ms);
}

SvcStatus Subscription::Refresh() {
  auto view = streams_.ViewByName(cursor_.view->name);
  if (view == nullptr || view->revision != cursor_.view->revision) {
    return {Errc::kResourceNotFound,
            fmt::format("Stream {} under account {} not found.", cursor_.view->name,
                        streams_.options().account_id)};
  }
  const meta::ShardRecord* shard = view->FindShard(cursor_.shard);
  if (shard == nullptr) {  // expired past retention
    return {Errc::kResourceNotFound,
            fmt::format("Shard {} in stream {} under account {} does not exist",
                        ShardIdString(cursor_.shard), view->name, streams_.options().account_id)};
  }
  cursor_.view = std::move(view);
  shard_ = shard;
  return {};
}

Subscription::Step Subscription::Idle(int64_t now_ms) const {
  Step s;
  s.kind = Step::Kind::kIdle;
  s.wake_at_ms = std::min(last_event_ms_ + options_.heartbeat_ms,
                          started_ms_ + options_.lifetime_ms);
  s.wake_at_ms = std::max(s.wake_at_ms, now_ms + 1);
  return s;
}

Subscription::Step Subscription::Event(GetRecordsResult batch,
                                       std::optional<std::string> continuation, int64_t now_ms,
                                       bool last) {
  last_event_ms_ = now_ms;
  done_ = last;
  Step s;
  s.kind = Step::Kind::kEvent;
  s.event.batch = std::move(batch);
  s.event.continuation = std::move(continuation);
  s.last = last;
  return s;
}

Subscription::Step Subscription::Finish(Step::Kind kind, SvcStatus error) {
  done_ = true;
  Step s;
  s.kind = kind;
  s.error = std::move(error);
  return s;
}

Subscription::Step Subscription::Next(int64_t now_ms) {
  if (done_) return Finish(Step::Kind::kEnd, {});
  if (taken_over_.load(std::memory_order_acquire)) {
    return Finish(Step::Kind::kError,
                  SvcStatus(Errc::kResourceInUse,
                            fmt::format("Another active subscription exists for this consumer: {}",
                                        consumer_.arn)));
  }
  if (now_ms >= started_ms_ + options_.lifetime_ms) return Finish(Step::Kind::kEnd, {});
  const bool limited = options_.read_bytes_per_sec > 0;
  if (limited) {
    double level = read_budget_.Level(now_ms * 1'000'000);
    if (level <= 0) {  // in debt: wait until the budget is back above zero
      Step wait = Idle(now_ms);
      int64_t back_ms = static_cast<int64_t>(-level * 1000 / options_.read_bytes_per_sec) + 1;
      wait.wake_at_ms = std::min(wait.wake_at_ms, now_ms + back_ms);
      return wait;
    }
  }
  auto read = data_.ReadAt(*cursor_.view, *shard_, cursor_.position, options_.max_event_records,
                           options_.max_event_bytes);
  if (!read.ok()) return Finish(Step::Kind::kError, read.status());
  cursor_.position = read->next;
  if (limited) read_budget_.Charge(static_cast<double>(read->bytes), now_ms * 1'000'000);
  if (!read->result.records.empty()) {
    last_delivered_ = read->result.records.back().sequence_number;
    return Event(std::move(read->result), last_delivered_, now_ms, false);
  }
  if (read->ended) {  // ChildShards, no continuation
    return Event(std::move(read->result), std::nullopt, now_ms, true);
  }
  if (shard_->open()) {
    // Nothing new. A reshard may have closed the shard since the snapshot was taken; the
    // next read then sees the end.
    if (auto st = Refresh(); !st.ok()) return Finish(Step::Kind::kError, st);
    if (!shard_->open()) return Next(now_ms);
  }
  if (now_ms - last_event_ms_ >= options_.heartbeat_ms) {  // no records; MillisBehindLatest
    return Event(std::move(read->result), Continuation(), now_ms, false);
  }
  return Idle(now_ms);
}

}  // namespace shoal::service
