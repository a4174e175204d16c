#include "runner.h"

#include <boost/asio/post.hpp>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <unistd.h>

namespace shoal::loadgen {

namespace asio = boost::asio;
using namespace std::chrono_literals;

std::atomic<int> g_interrupts{0};

namespace {
constexpr auto kTick = 50ms;
// After a stop request, how long in-flight calls may take before connections are closed.
constexpr auto kStopGrace = 2s;

void OnSignal(int) {
  if (g_interrupts.fetch_add(1) >= 1) {
    static const char kMsg[] = "\nloadgen: second signal, exiting now\n";
    (void)!write(2, kMsg, sizeof kMsg - 1);
    _exit(130);
  }
}

std::chrono::nanoseconds Seconds(double s) {
  return std::chrono::nanoseconds(static_cast<int64_t>(s * 1e9));
}
}  // namespace

void InstallSignalHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

std::string_view WorkloadName(Workload w) {
  switch (w) {
    case Workload::kPutRecords: return "put-records";
    case Workload::kPutRecord: return "put-record";
    case Workload::kGetRecords: return "get-records";
    case Workload::kPutGetLatency: return "put-get-latency";
    case Workload::kListStreams: return "list-streams";
    case Workload::kDescribeLimits: return "describe-limits";
    case Workload::kPutRecordAllShards: return "put-record-all-shards";
    case Workload::kSubscribeLatency: return "subscribe-latency";
    case Workload::kSubscribeFanout: return "subscribe-fanout";
  }
  return "?";
}

// --- Worker ---------------------------------------------------------------------------------

Worker::Worker(int index, const Endpoint& endpoint, const Options& options)
    : index_(index), endpoint_(endpoint), options_(options), guard_(io_.get_executor()),
      ticker_(io_), signer_(options.credentials, endpoint.authority, options.sign) {}

Worker::~Worker() { Shutdown(); }

void Worker::AddConnections(int n) {
  ConnectionOptions co;
  co.protocol = options_.protocol;
  for (int i = 0; i < n; ++i) {
    connections_.push_back(MakeConnection(io_, endpoint_, signer_, co));
  }
}

void Worker::Start() {
  ArmTicker();
  thread_ = std::thread([this] { io_.run(); });
}

void Worker::ArmTicker() {
  ticker_.expires_after(kTick);
  ticker_.async_wait([this](boost::system::error_code ec) {
    if (ec || stopping_) return;
    auto now = SteadyClock::now();
    auto timeout = Seconds(options_.timeout_s);
    for (auto& c : connections_) c->CheckTimeouts(now, timeout);
    ArmTicker();
  });
}

void Worker::CloseConnections() {
  asio::post(io_, [this] {
    for (auto& c : connections_) c->Close();
  });
}

void Worker::Shutdown() {
  if (!thread_.joinable()) return;
  asio::post(io_, [this] {
    stopping_ = true;
    ticker_.cancel();
    for (auto& c : connections_) c->Close();
  });
  guard_.reset();
  // Everything left should finish at once; do not wait on a stuck handler forever.
  auto deadline = SteadyClock::now() + 3s;
  while (!io_.stopped() && SteadyClock::now() < deadline) std::this_thread::sleep_for(5ms);
  io_.stop();
  thread_.join();
}

// --- SlotContext ----------------------------------------------------------------------------

bool SlotContext::Continue(uint64_t bytes) {
  if (ctl.stop.load(std::memory_order_relaxed)) return false;
  auto now = SteadyClock::now();
  if (now >= ctl.measure_end) return false;
  if (ctl.iteration_budget > 0 && now >= ctl.measure_start &&
      ctl.iterations.fetch_add(1, std::memory_order_relaxed) >= ctl.iteration_budget) {
    return false;
  }
  if (ctl.byte_budget > 0 &&
      ctl.bytes.fetch_add(static_cast<int64_t>(bytes), std::memory_order_relaxed) >= ctl.byte_budget) {
    return false;
  }
  return true;
}

SlotContext::SleepAwaiter SlotContext::Pace() {
  double rate = options().rate;
  if (rate <= 0) return Sleep(std::chrono::nanoseconds(0));
  auto interval = Seconds(static_cast<double>(slot_count) / rate);
  auto now = SteadyClock::now();
  if (next_turn == SteadyClock::time_point{}) {
    next_turn = ctl.start + Seconds(static_cast<double>(index) / rate);  // staggered starts
  }
  auto wait = next_turn - now;
  next_turn += interval;
  return Sleep(std::chrono::duration_cast<std::chrono::nanoseconds>(wait));
}

bool SlotContext::stopped() const {
  return ctl.stop.load(std::memory_order_relaxed) || SteadyClock::now() >= ctl.measure_end;
}

OpStats* SlotContext::Account(Call& call) {
  last_error = ErrorOf(call, worker.parser());
  if (call.end < ctl.measure_start || call.end >= ctl.measure_end) return nullptr;
  OpStats& s = stats.op(call.op);
  ++s.requests;
  s.request_bytes += call.body.size();
  s.response_bytes += call.response.size();
  if (last_error.empty()) {
    ++s.ok;
    s.latency.Record(static_cast<uint64_t>(call.latency().count()));
  } else {
    s.AddError(last_error);
    if (last_error == kThrottled) ++s.throttled;
  }
  if (call.start < stats.first_start) stats.first_start = call.start;
  if (call.end > stats.last_end) stats.last_end = call.end;
  return &s;
}

// --- Runner ---------------------------------------------------------------------------------

Runner::Runner(const Options& options, Shared& shared) : options_(options), shared_(shared) {}

Runner::~Runner() { Shutdown(); }

std::string Runner::Start() {
  if (auto err = ResolveEndpoint(options_.endpoint, endpoint_); !err.empty()) return err;
  // subscribe-fanout also runs its subscriptions on the data workers: threads may outnumber
  // the writers' connections.
  int threads = options_.workload == Workload::kSubscribeFanout
                    ? std::max(1, options_.threads)
                    : std::max(1, std::min(options_.threads, options_.connections));
  for (int t = 0; t < threads; ++t) {
    workers_.push_back(std::make_unique<Worker>(t, endpoint_, options_));
  }
  for (int c = 0; c < options_.connections; ++c) workers_[c % threads]->AddConnections(1);
  control_ = std::make_unique<Worker>(-1, endpoint_, options_);
  control_->AddConnections(1);
  for (auto& w : workers_) w->Start();
  control_->Start();
  return {};
}

std::vector<Worker*> Runner::data_workers() const {
  std::vector<Worker*> out;
  for (const auto& w : workers_) out.push_back(w.get());
  return out;
}

void Runner::Shutdown() {
  for (auto& w : workers_) w->Shutdown();
  if (control_) control_->Shutdown();
}

namespace {

// The measured seconds of a finished phase: from the end of the warm-up (or the first request
// when there is none) to the planned end, or to the last booked response when the phase ended
// earlier (budgets, slots that finish, interruptions).
double MeasuredSeconds(const PhaseSpec& spec, const PhaseControl& ctl, const PhaseResult& r) {
  auto window_end = ctl.measure_end;
  if (r.interrupted || window_end == SteadyClock::time_point::max() || r.stats.last_end < window_end) {
    window_end = r.stats.last_end != SteadyClock::time_point::min()
                     ? std::min(window_end, r.stats.last_end)
                     : ctl.measure_start;
  }
  auto begin = ctl.measure_start;
  if (spec.warmup_s == 0 && r.stats.first_start != SteadyClock::time_point::max()) {
    begin = std::min(begin, r.stats.first_start);
  }
  return window_end > begin ? std::chrono::duration<double>(window_end - begin).count() : 0;
}

}  // namespace

std::vector<std::unique_ptr<SlotContext>> Runner::MakeSlots(
    const PhaseSpec& spec, PhaseControl& ctl, const std::vector<Worker*>& workers,
    std::vector<std::unique_ptr<PhaseStats>>& stats) {
  int per_conn = spec.one_slot ? 1 : std::max(1, options_.concurrency);
  int total = 0;
  for (Worker* w : workers) total += static_cast<int>(w->connections().size()) * per_conn;
  if (spec.one_slot) total = 1;
  std::vector<std::unique_ptr<SlotContext>> slots;
  int index = 0;
  for (Worker* w : workers) {
    stats.push_back(std::make_unique<PhaseStats>());
    for (auto& conn : w->connections()) {
      for (int k = 0; k < per_conn && index < total; ++k) {
        uint64_t seed = options_.seed * 0x9E3779B97F4A7C15ull +
                        static_cast<uint64_t>(phase_index_) * 1000003ull +
                        static_cast<uint64_t>(index);
        slots.push_back(std::make_unique<SlotContext>(*w, *conn, *stats.back(), ctl, shared_,
                                                      index, total, seed));
        ++index;
      }
    }
  }
  return slots;
}

std::unique_ptr<PhaseResult> Runner::Run(const PhaseSpec& spec) {
  auto result = std::make_unique<PhaseResult>();
  result->name = spec.name;
  ++phase_index_;

  PhaseControl ctl;
  ctl.start = SteadyClock::now();
  ctl.measure_start = ctl.start + Seconds(spec.warmup_s);
  if (spec.duration_s > 0) ctl.measure_end = ctl.measure_start + Seconds(spec.duration_s);
  ctl.iteration_budget = spec.iterations;
  ctl.byte_budget = spec.bytes;

  std::vector<Worker*> workers;
  if (spec.one_slot) {
    workers.push_back(control_.get());
  } else {
    for (auto& w : workers_) workers.push_back(w.get());
  }
  std::vector<std::unique_ptr<PhaseStats>> stats;
  auto slots = MakeSlots(spec, ctl, workers, stats);
  result->slots = static_cast<int>(slots.size());

  // Decremented under `mu`, so once the main thread has seen 0 no worker touches mu/cv again.
  int running = result->slots;
  std::mutex mu;
  std::condition_variable cv;
  auto on_done = [&] {
    std::lock_guard lock(mu);
    if (--running == 0) cv.notify_all();
  };
  for (Worker* w : workers) {
    asio::post(w->io(), [&, w] {
      for (auto& s : slots) {
        if (&s->worker == w) Spawn(spec.slot(*s), on_done);
      }
    });
  }

  // Wait; on a signal stop issuing, and close the connections if calls are still out after the
  // grace period (or long after the planned end: timeouts should have ended them already).
  SteadyClock::time_point stop_at = SteadyClock::time_point::max();
  bool forced = false;
  auto hard_end = ctl.measure_end == SteadyClock::time_point::max()
                      ? SteadyClock::time_point::max()
                      : ctl.measure_end + Seconds(options_.timeout_s) + 5s;
  std::unique_lock lock(mu);
  while (running > 0) {
    cv.wait_for(lock, kTick);
    auto now = SteadyClock::now();
    if (g_interrupts.load() > 0 && !ctl.stop.load()) {
      ctl.stop = true;
      stop_at = now;
      result->interrupted = true;
    }
    if (!forced && (now - stop_at > kStopGrace || now > hard_end)) {
      forced = true;
      for (Worker* w : workers) w->CloseConnections();
    }
  }
  lock.unlock();

  for (auto& s : stats) result->stats.Merge(*s);
  result->seconds = MeasuredSeconds(spec, ctl, *result);
  return result;
}

}  // namespace shoal::loadgen
