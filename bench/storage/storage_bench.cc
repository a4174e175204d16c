// Storage engine micro-benchmarks (Google Benchmark; not in CTest). On the real disk, in a
// fresh directory under $STORAGE_BENCH_DIR or /tmp, removed afterwards. Numbers and how to read
// them: docs/design/storage.md. Run: build/bench/storage/storage_bench [--benchmark_filter=...]
//
//   BM_Append/<record bytes>/<hot shards>/<records per request>: one producer keeps 64
//     requests in flight (like many connections), default durability (kSync).
//   BM_AppendLatency/<record bytes>: one request in flight: append + group of one + fdatasync.
//   BM_Read/<record bytes>/<shards>/<records per request>: GetRecords-sized reads (10,000
//     records / 10 MiB) of one shard, alone or interleaved with 3 others.
//   BM_HotWithIdle: 4 hot shards while 10,000 idle shards get 1 record/s each.
//   BM_Recovery: opening an engine holding ~1 GiB in 2,000 shards.

#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "common/fs.h"
#include "storage/log_engine.h"

namespace shoal::storage {
namespace {

std::string MakeTempDir() {
  const char* base = std::getenv("STORAGE_BENCH_DIR");
  std::string dir = std::string(base != nullptr ? base : "/tmp") + "/storage-bench-XXXXXX";
  if (::mkdtemp(dir.data()) == nullptr) std::abort();
  return dir;
}

// An engine in a temporary directory, removed with it.
struct BenchEngine {
  explicit BenchEngine(EngineOptions options = {}) : dir(MakeTempDir()) {
    options.dir = dir + "/streams";
    auto e = OpenLogEngine(DefaultFileSystem(), SystemClock::Get(), options);
    if (!e.ok()) std::abort();
    engine = std::move(e).value();
  }
  ~BenchEngine() {
    engine->Stop();
    engine.reset();
    std::filesystem::remove_all(dir);
  }
  std::string dir;
  std::unique_ptr<LogEngine> engine;
};

// Bounds the requests in flight; Acquire() blocks while `limit` are outstanding.
class Window {
 public:
  explicit Window(int limit) : limit_(limit) {}
  void Acquire() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return inflight_ < limit_; });
    ++inflight_;
  }
  void Release() {
    std::lock_guard<std::mutex> l(mu_);
    --inflight_;
    cv_.notify_all();
  }
  void Drain() {
    std::unique_lock<std::mutex> l(mu_);
    cv_.wait(l, [&] { return inflight_ == 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int limit_;
  int inflight_ = 0;
};

// One request's records: views into a shared payload (the engine copies them into its batch).
std::vector<RecordView> MakeRecords(const std::string& payload, size_t record_bytes, size_t n) {
  std::vector<RecordView> recs;
  for (size_t i = 0; i < n; ++i) {
    recs.push_back({std::string_view(payload).substr(i % 64, 16),
                    std::string_view(payload).substr(i % 97, record_bytes)});
  }
  return recs;
}

void SetRates(benchmark::State& state, uint64_t records, uint64_t bytes, const EngineStats& before,
              const EngineStats& after) {
  using benchmark::Counter;
  state.counters["MB/s"] = Counter(static_cast<double>(bytes) / 1e6, Counter::kIsRate);
  state.counters["records/s"] = Counter(static_cast<double>(records), Counter::kIsRate);
  state.counters["syncs/s"] = Counter(static_cast<double>(after.syncs - before.syncs), Counter::kIsRate);
  double groups = static_cast<double>(after.groups - before.groups);
  state.counters["KiB/group"] =
      groups > 0 ? static_cast<double>(after.bytes_written - before.bytes_written) / 1024 / groups : 0;
}

void BM_Append(benchmark::State& state) {
  const size_t record_bytes = state.range(0);
  const uint32_t shards = static_cast<uint32_t>(state.range(1));
  const size_t per_request = state.range(2);
  BenchEngine b;
  std::string payload(record_bytes + 128, 'x');
  std::vector<RecordView> recs = MakeRecords(payload, record_bytes, per_request);
  Window window(64);
  uint64_t records = 0, bytes = 0;
  EngineStats before = b.engine->Stats();
  uint32_t next_shard = 0;
  for (auto _ : state) {
    window.Acquire();
    b.engine->Append({.shard = {1, next_shard++ % shards}, .records = recs, .min_counter = 0},
                     [&](StorageResult<AppendResult> r) {
                       if (!r.ok()) std::abort();
                       window.Release();
                     });
    records += per_request;
    bytes += per_request * (record_bytes + 16);
  }
  window.Drain();
  SetRates(state, records, bytes, before, b.engine->Stats());
}
BENCHMARK(BM_Append)
    ->ArgNames({"rec_bytes", "shards", "per_req"})
    ->Args({1024, 1, 500})
    ->Args({1024, 4, 500})
    ->Args({1024, 4, 50})
    ->Args({100, 1, 500})
    ->Args({100, 4, 500})
    ->Args({100, 4, 1})
    ->UseRealTime()
    ->MinTime(2.0);

void BM_AppendLatency(benchmark::State& state) {
  BenchEngine b;
  std::string payload(state.range(0) + 128, 'x');
  std::vector<RecordView> recs = MakeRecords(payload, state.range(0), 1);
  std::vector<double> us;
  SystemClock& clock = SystemClock::Get();
  for (auto _ : state) {
    int64_t t0 = clock.MonotonicNs();
    std::promise<void> done;
    b.engine->Append({.shard = {1, 0}, .records = recs, .min_counter = 0},
                     [&](StorageResult<AppendResult>) { done.set_value(); });
    done.get_future().wait();
    us.push_back((clock.MonotonicNs() - t0) / 1e3);
  }
  std::sort(us.begin(), us.end());
  state.counters["p50_us"] = us[us.size() / 2];
  state.counters["p99_us"] = us[us.size() * 99 / 100];
}
BENCHMARK(BM_AppendLatency)->ArgName("rec_bytes")->Arg(100)->UseRealTime()->MinTime(2.0);

// Fills shard {1,0} with records (interleaved with 3 other shards' when `shards` is 4, so a
// shard's batches are not contiguous) and reads them back repeatedly, GetRecords-sized.
// per_req 1 is the PutRecord pattern: small batches of each shard, mixed in every group.
void BM_Read(benchmark::State& state) {
  const size_t record_bytes = state.range(0);
  const uint32_t shards = static_cast<uint32_t>(state.range(1));
  const size_t per_req = state.range(2);
  const uint64_t total = per_req == 1 ? 8ull << 20 : 256ull << 20;
  BenchEngine b;
  std::string payload(record_bytes + 128, 'x');
  std::vector<RecordView> recs = MakeRecords(payload, record_bytes, per_req);
  Window window(64);
  for (uint64_t written = 0; written < total; written += per_req * record_bytes) {
    for (uint32_t s = 0; s < shards; ++s) {
      window.Acquire();
      b.engine->Append({.shard = {1, s}, .records = recs, .min_counter = 0},
                       [&](StorageResult<AppendResult>) { window.Release(); });
    }
  }
  window.Drain();
  uint64_t from = 0, bytes = 0, records = 0;
  for (auto _ : state) {
    auto r = b.engine->Read({1, 0}, from, 10000, 10 << 20);
    if (!r.ok()) std::abort();
    if (r->records.empty()) {
      from = 0;
      continue;
    }
    for (const StoredRecord& rec : r->records) bytes += rec.partition_key.size() + rec.data.size();
    records += r->records.size();
    from = r->next_counter;
  }
  state.counters["MB/s"] = benchmark::Counter(bytes / 1e6, benchmark::Counter::kIsRate);
  state.counters["records/s"] = benchmark::Counter(records, benchmark::Counter::kIsRate);
  state.counters["index_entries"] = b.engine->Stats().index_entries;
}
BENCHMARK(BM_Read)
    ->ArgNames({"rec_bytes", "shards", "per_req"})
    ->Args({1024, 1, 500})
    ->Args({1024, 4, 500})
    ->Args({100, 1, 500})
    ->Args({100, 4, 1})
    ->UseRealTime()
    ->MinTime(2.0);

// 4 hot shards as in BM_Append/1024/4/500, while a second thread appends 10,000 records/s of
// 100 bytes spread over 10,000 other shards (arg 1) or not (arg 0).
void BM_HotWithIdle(benchmark::State& state) {
  const bool idle = state.range(0) != 0;
  BenchEngine b;
  std::string payload(2048, 'x');
  std::vector<RecordView> hot = MakeRecords(payload, 1024, 500);
  std::vector<RecordView> small = MakeRecords(payload, 100, 1);
  Window window(64);
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> idle_sent{0}, idle_inflight{0};
  std::thread idler;
  if (idle) {
    idler = std::thread([&] {
      std::mt19937 rng(1);
      auto start = std::chrono::steady_clock::now();
      while (!stop) {
        double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        for (auto due = static_cast<uint64_t>(secs * 10000); idle_sent < due; ++idle_sent) {
          ++idle_inflight;
          b.engine->Append({.shard = {2, static_cast<uint32_t>(rng() % 10000)}, .records = small,
                            .min_counter = 0},
                           [&](StorageResult<AppendResult>) { --idle_inflight; });
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(1));  // pacing, benchmark only
      }
    });
  }
  uint64_t bytes = 0, records = 0;
  uint32_t next = 0;
  EngineStats before = b.engine->Stats();
  for (auto _ : state) {
    window.Acquire();
    b.engine->Append({.shard = {1, next++ % 4}, .records = hot, .min_counter = 0},
                     [&](StorageResult<AppendResult>) { window.Release(); });
    records += 500;
    bytes += 500 * (1024 + 16);
  }
  window.Drain();
  stop = true;
  if (idler.joinable()) idler.join();
  EngineStats after = b.engine->Stats();
  SetRates(state, records, bytes, before, after);
  state.counters["idle_shards"] = static_cast<double>(after.shards) - 4;
  state.counters["engine_MiB"] = after.memory_bytes / 1048576.0;
  while (idle_inflight > 0) std::this_thread::yield();
}
BENCHMARK(BM_HotWithIdle)->ArgName("idle")->Arg(0)->Arg(1)->UseRealTime()->MinTime(4.0);

void BM_Recovery(benchmark::State& state) {
  BenchEngine b;
  std::string payload(2048, 'x');
  std::vector<RecordView> recs = MakeRecords(payload, 1024, 100);
  Window window(64);
  for (int i = 0; i < 10000; ++i) {  // 10,000 × 100 KiB ≈ 1 GiB over 2,000 shards
    window.Acquire();
    b.engine->Append({.shard = {1, static_cast<uint32_t>(i % 2000)}, .records = recs, .min_counter = 0},
                     [&](StorageResult<AppendResult>) { window.Release(); });
  }
  window.Drain();
  b.engine->Stop();
  EngineOptions options{.dir = b.dir + "/streams"};
  for (auto _ : state) {
    auto e = OpenLogEngine(DefaultFileSystem(), SystemClock::Get(), options);
    if (!e.ok()) std::abort();
    state.PauseTiming();
    state.counters["index_entries"] = (*e)->Stats().index_entries;
    (*e)->Stop();
    state.ResumeTiming();
  }
  state.counters["GB"] = 10000.0 * 100 * (1024 + 16 + 6) / 1e9;
}
BENCHMARK(BM_Recovery)->Unit(benchmark::kMillisecond)->Iterations(3)->UseRealTime();

}  // namespace
}  // namespace shoal::storage

BENCHMARK_MAIN();
