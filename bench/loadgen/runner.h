#pragma once
// Runs phases: a set of slot coroutines (connections x concurrency of them, spread over the
// worker threads), each looping over one workload's requests until the phase ends (time,
// iteration or byte budget, the slot's own end, or a stop signal), with per-thread stats that
// are merged at the end.
//
// Threads: the main thread only coordinates (waits, merges). Each Worker owns an io_context
// on its own thread, its connections, a Signer and a ResponseParser; a SlotContext and its
// coroutine belong to one Worker. PhaseControl is the only state shared across threads
// (atomics, and times fixed before the phase starts).

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "connection.h"
#include "kinesis.h"
#include "options.h"
#include "payload.h"
#include "stats.h"
#include "task.h"

namespace shoal::loadgen {

// Set from signal handlers: 0 = run, >= 1 = stop requested.
extern std::atomic<int> g_interrupts;
void InstallSignalHandlers();

// Read-only during a phase.
struct Shared {
  const Options* options = nullptr;
  BodyPool put_records;
  BodyPool put_record;
  std::vector<std::string> shard_ids;
  std::vector<std::string> shard_starting_hash_keys;  // same order as shard_ids
  std::string stream_arn;
  std::string consumer_arn;  // subscribe-latency
  struct FanoutShared* fanout = nullptr;  // subscribe-fanout (the writers' shared state)
};

struct PhaseControl {
  SteadyClock::time_point start;
  SteadyClock::time_point measure_start;
  SteadyClock::time_point measure_end = SteadyClock::time_point::max();
  int64_t iteration_budget = 0;  // 0 = none
  int64_t byte_budget = 0;       // 0 = none
  std::atomic<int64_t> iterations{0};
  std::atomic<int64_t> bytes{0};
  std::atomic<bool> stop{false};
};

class Worker {
 public:
  Worker(int index, const Endpoint& endpoint, const Options& options);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void AddConnections(int n);  // before Start()
  void Start();
  // Closes every connection (outstanding calls fail with kShutdown) from the worker's thread.
  void CloseConnections();
  // Closes everything and joins the thread.
  void Shutdown();

  int index() const { return index_; }
  const Endpoint& endpoint() const { return endpoint_; }
  boost::asio::io_context& io() { return io_; }
  std::vector<std::unique_ptr<Connection>>& connections() { return connections_; }
  ResponseParser& parser() { return parser_; }

 private:
  void ArmTicker();

  int index_;
  const Endpoint& endpoint_;
  const Options& options_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  boost::asio::steady_timer ticker_;
  Signer signer_;
  ResponseParser parser_;
  std::vector<std::unique_ptr<Connection>> connections_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
};

class SlotContext {
 public:
  SlotContext(Worker& worker, Connection& conn, PhaseStats& stats, PhaseControl& ctl,
              const Shared& shared, int index, int slot_count, uint64_t seed)
      : worker(worker), conn(conn), stats(stats), ctl(ctl), shared(shared), index(index),
        slot_count(slot_count), rng(seed) {}

  Worker& worker;
  Connection& conn;
  PhaseStats& stats;
  PhaseControl& ctl;
  const Shared& shared;
  const int index;       // 0..slot_count-1 over all workers
  const int slot_count;
  std::mt19937_64 rng;
  std::string last_error;  // ErrorOf() the last accounted call ("" = success)
  SteadyClock::time_point next_turn{};  // Pace(): when this slot may issue next

  const Options& options() const { return *shared.options; }
  // Starts one more iteration (of `bytes` record data): false when the phase is over.
  bool Continue(uint64_t bytes = 0);
  // The phase is over (stop requested or past its end); long loops check this.
  bool stopped() const;
  // Books a completed call: sets last_error, and when the call completed inside the
  // measurement window adds it to the stats and returns its OpStats (else nullptr).
  OpStats* Account(Call& call);

  struct SleepAwaiter {
    boost::asio::steady_timer timer;
    std::chrono::nanoseconds duration;
    bool await_ready() const noexcept { return duration.count() <= 0; }
    void await_suspend(std::coroutine_handle<> h) {
      timer.expires_after(duration);
      timer.async_wait([h](boost::system::error_code) { h.resume(); });
    }
    void await_resume() const noexcept {}
  };
  SleepAwaiter Sleep(std::chrono::nanoseconds d) {
    return SleepAwaiter{boost::asio::steady_timer(worker.io()), d};
  }
  // With --rate: waits until this slot's next turn (slots take turns, so the whole phase issues
  // `rate` iterations per second); without: returns at once. A slot that falls behind does not
  // sleep until it has caught up (no burst limit, no coordinated-omission correction).
  SleepAwaiter Pace();
  SleepAwaiter Backoff() {
    return Sleep(std::chrono::microseconds(static_cast<int64_t>(options().error_backoff_ms * 1000)));
  }
};

using SlotFn = std::function<Task<void>(SlotContext&)>;

struct PhaseSpec {
  std::string name;
  double warmup_s = 0;
  double duration_s = 0;      // 0 = until every slot ends by itself
  int64_t iterations = 0;     // 0 = no budget
  int64_t bytes = 0;          // 0 = no budget
  bool one_slot = false;      // run a single slot (setup / teardown steps)
  SlotFn slot;
};

struct PhaseResult {
  std::string name;
  PhaseStats stats;
  double seconds = 0;         // the measurement window
  bool interrupted = false;
  int slots = 0;
};

class Runner {
 public:
  Runner(const Options& options, Shared& shared);
  ~Runner();

  // Resolves the endpoint and starts the worker threads. Empty string on success.
  std::string Start();
  // Runs a phase on the data workers (or, with spec.one_slot, one slot on the control worker)
  // and waits for it.
  std::unique_ptr<PhaseResult> Run(const PhaseSpec& spec);
  void Shutdown();
  // The data workers (after Start()), e.g. to run subscriptions on their event loops.
  std::vector<Worker*> data_workers() const;

 private:
  // Slots for every connection of `workers` (concurrency each; one in all with spec.one_slot),
  // and one PhaseStats per worker in `stats`.
  std::vector<std::unique_ptr<SlotContext>> MakeSlots(const PhaseSpec& spec, PhaseControl& ctl,
                                                      const std::vector<Worker*>& workers,
                                                      std::vector<std::unique_ptr<PhaseStats>>& stats);

  const Options& options_;
  Shared& shared_;
  Endpoint endpoint_;
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<Worker> control_;
  int phase_index_ = 0;
};

}  // namespace shoal::loadgen
