// FanOut's pumps with fake event sinks: every subscriber gets every record, and one that stops
// reading holds at most about `high_water_bytes` unsent while the others carry on.

#include "service/fanout/fan_out.h"

#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>

#include "service/service_test_util.h"

namespace shoal::service {
namespace {

// Records what a subscription was sent. "Unsent" bytes pile up while `reading` is false.
class FakeSink final : public EventSink {
 public:
  explicit FakeSink(bool reading) : reading_(reading) {}

  bool SendEvent(const SubscribeEvent& e) override {
    std::lock_guard<std::mutex> l(mu_);
    for (const auto& r : e.batch.records) {
      records_.emplace_back(r.data);
      if (!reading_) buffered_ += r.data.size();
    }
    max_buffered_ = std::max(max_buffered_, buffered_);
    cv_.notify_all();
    return true;
  }
  void SendError(const SvcStatus&) override { End(); }
  void End() override {
    std::lock_guard<std::mutex> l(mu_);
    ended_ = true;
    cv_.notify_all();
  }
  size_t Buffered() const override {
    std::lock_guard<std::mutex> l(mu_);
    return buffered_;
  }
  void NotifyWhenDrained(size_t, std::function<void()> fn) override {
    std::lock_guard<std::mutex> l(mu_);
    drained_ = std::move(fn);
    waits_++;
    cv_.notify_all();
  }
  bool Closed() const override { return false; }
  void NotifyWhenClosed(std::function<void()>) override {}

  // The reader catches up: everything unsent is taken, and the pump is told.
  void Drain() {
    std::function<void()> fn;
    {
      std::lock_guard<std::mutex> l(mu_);
      reading_ = true;
      buffered_ = 0;
      fn = std::move(drained_);
    }
    if (fn) fn();
  }
  // Waits (bounded) until `pred` holds under the lock.
  template <class Pred>
  bool WaitFor(Pred pred) {
    std::unique_lock<std::mutex> l(mu_);
    return cv_.wait_for(l, std::chrono::seconds(20), [&] { return pred(*this); });
  }

  std::vector<std::string> records_;
  size_t buffered_ = 0;
  size_t max_buffered_ = 0;
  int waits_ = 0;
  bool ended_ = false;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool reading_;
  std::function<void()> drained_;
};

class FanOutTest : public testing::ServiceFixture {
 protected:
  void SetUp() override {
    options_.consumer_create_delay_ms = 0;
    Open();
    CreateStream("s", 1);
    for (const char* name : {"slow", "fast"}) {
      auto c = streams_->RegisterStreamConsumer({streams_->StreamArn("s"), name, {}});
      ASSERT_TRUE(c.ok()) << c.message();
      arns_.push_back(c->arn);
    }
    clock_.AdvanceMs(1);
    FanOutOptions fo;
    fo.max_event_bytes = 10'000;
    fo.high_water_bytes = 50'000;
    fanout_ = std::make_unique<FanOut>(*streams_, *data_, clock_, fo);
  }
  void TearDown() override {
    fanout_.reset();
    ServiceFixture::TearDown();
  }

  std::shared_ptr<FakeSink> Start(const std::string& arn, bool reading) {
    auto sub = fanout_->Subscribe({arn, "shardId-000000000000", IteratorType::kTrimHorizon, {}, {}});
    EXPECT_TRUE(sub.ok()) << sub.message();
    auto sink = std::make_shared<FakeSink>(reading);
    fanout_->Start(*sub, sink);
    return sink;
  }

  std::vector<std::string> arns_;
  std::unique_ptr<FanOut> fanout_;
};

TEST_F(FanOutTest, ASubscriberThatStopsReadingSlowsOnlyItself) {
  auto slow = Start(arns_[0], /*reading=*/false);
  auto fast = Start(arns_[1], /*reading=*/true);
  EXPECT_EQ(fanout_->ActiveCount(), 2u);
  constexpr int kRecords = 200;
  std::vector<std::string> want;
  for (int batch = 0; batch < kRecords / 20; ++batch) {
    PutRecordsRequest r;
    r.stream = StreamRef{"s", std::nullopt};
    std::vector<std::string> datas;
    for (int i = 0; i < 20; ++i) {
      datas.push_back(std::to_string(batch * 20 + i) + std::string(1000, 'x'));
      want.push_back(datas.back());
    }
    for (const auto& d : datas) r.entries.push_back({"k", d, std::nullopt});
    ASSERT_TRUE(Put(std::move(r)).ok());
  }
  // The reading subscriber gets everything, in order.
  ASSERT_TRUE(fast->WaitFor([&](FakeSink& s) { return s.records_.size() == want.size(); }));
  // The stalled one stopped near the high-water mark and waits for a drain.
  ASSERT_TRUE(slow->WaitFor([](FakeSink& s) { return s.waits_ > 0; }));
  EXPECT_LE(slow->max_buffered_, 50'000u + 10'000u + 1'100u);  // high water + one event
  EXPECT_LT(slow->records_.size(), want.size());
  slow->Drain();
  ASSERT_TRUE(slow->WaitFor([&](FakeSink& s) { return s.records_.size() == want.size(); }));
  EXPECT_EQ(slow->records_, want);
  EXPECT_EQ(fast->records_, want);
}

TEST_F(FanOutTest, StopEndsEverySubscription) {
  auto a = Start(arns_[0], true);
  auto b = Start(arns_[1], true);
  fanout_->Stop();
  EXPECT_TRUE(a->ended_);
  EXPECT_TRUE(b->ended_);
  EXPECT_EQ(fanout_->ActiveCount(), 0u);
  auto late = fanout_->Subscribe({arns_[0], "shardId-000000000000", IteratorType::kLatest, {}, {}});
  EXPECT_FALSE(late.ok());
}

}  // namespace
}  // namespace shoal::service
