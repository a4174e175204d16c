#include "server/server.h"

#include <fmt/format.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include "api/http/http_server.h"
#include "api/http/tls_context.h"
#include "api/kinesis_handler.h"
#include "common/clock.h"
#include "common/fs.h"
#include "meta/catalog.h"
#include "service/stream_service.h"
#include "service/autoscale/autoscaler.h"
#include "service/background_loop.h"
#include "service/data_plane.h"
#include "service/fanout/fan_out.h"
#include "service/throttle/request_limiter.h"
#include "storage/log_engine.h"

namespace shoal::server {
namespace {

constexpr char kTokenKeyFile[] = "token.key";
constexpr char kTlsDir[] = "tls";

// The key that seals pagination tokens, kept in the data directory so tokens survive a
// restart.
Result<std::string, ServerErrc> LoadOrCreateTokenKey(FileSystem& fs, const std::string& dir) {
  std::string path = dir + "/" + kTokenKeyFile;
  auto existing = fs.ReadAll(path);
  if (existing.ok() && existing->size() == 32) return *existing;
  unsigned char key[32];
  if (RAND_bytes(key, sizeof(key)) != 1) return {ServerErrc::kDataDir, "no randomness"};
  std::string tmp = path + ".tmp";
  auto file = fs.Create(tmp);
  if (!file.ok()) return {ServerErrc::kDataDir, file.message()};
  std::string_view data(reinterpret_cast<char*>(key), sizeof(key));
  for (auto st : {(*file)->Append(data), (*file)->Sync(), (*file)->Close(), fs.Rename(tmp, path),
                  fs.SyncDir(dir)}) {
    if (!st.ok()) return {ServerErrc::kDataDir, st.message()};
  }
  return std::string(data);
}

// The certificate and key the transport serves: the user's files, or the self-signed pair
// in <data_dir>/tls (generated on first use; its path is logged for clients to trust).
Result<api::PemPair, ServerErrc> LoadTlsCertificate(FileSystem& fs, const Clock& clock,
                                                    const ServeConfig& config) {
  if (config.tls_cert.empty() != config.tls_key.empty())
    return {ServerErrc::kConfig, "--tls-cert and --tls-key must be given together"};
  if (!config.tls_cert.empty()) {
    auto cert = fs.ReadAll(config.tls_cert);
    if (!cert.ok()) {
      return {ServerErrc::kTls,
              fmt::format("cannot read --tls-cert {}: {}", config.tls_cert, cert.message())};
    }
    auto key = fs.ReadAll(config.tls_key);
    if (!key.ok()) {
      return {ServerErrc::kTls,
              fmt::format("cannot read --tls-key {}: {}", config.tls_key, key.message())};
    }
    spdlog::info("TLS certificate: {}", config.tls_cert);
    return api::PemPair{std::move(*cert), std::move(*key)};
  }
  auto files = api::EnsureSelfSignedCertificate(fs, clock, config.data_dir + "/" + kTlsDir);
  if (!files.ok()) return {ServerErrc::kTls, files.message()};
  spdlog::info(
      "TLS: {} self-signed certificate {} (trust it with AWS_CA_BUNDLE, NODE_EXTRA_CA_CERTS "
      "or aws --ca-bundle)",
      files->generated ? "generated the" : "using the", files->cert_path);
  return std::move(files->pem);
}

}  // namespace

class Server::Impl {
 public:
  explicit Impl(ServeConfig config) : config_(std::move(config)) {}
  ~Impl() { Stop(); }

  Status<ServerErrc> Start();
  void Stop();
  uint16_t port() const { return http_->port(); }
  uint16_t tls_port() const { return http_->tls_port(); }

 private:
  // Starts the on-demand autoscaler's loop (when its interval is not 0).
  void StartAutoscaler(const service::LimitProfile& profile);

  ServeConfig config_;
  Clock& clock_ = SystemClock::Get();
  FileSystem& fs_ = DefaultFileSystem();
  std::unique_ptr<FileLock> lock_;  // held for the server's lifetime
  std::unique_ptr<meta::Catalog> catalog_;
  std::unique_ptr<storage::LogEngine> engine_;
  std::unique_ptr<service::StreamService> streams_;
  std::unique_ptr<service::UsageMeter> usage_;  // on-demand write counters (data_ uses it)
  std::unique_ptr<service::DataPlane> data_;
  std::unique_ptr<service::FanOut> fanout_;  // enhanced fan-out (SubscribeToShard)
  std::unique_ptr<service::RequestLimiter> requests_;  // control-plane rates
  std::unique_ptr<service::BackgroundLoop> transitions_;
  std::unique_ptr<service::BackgroundLoop> retention_;
  std::unique_ptr<service::Autoscaler> autoscaler_;  // null when turned off
  std::unique_ptr<service::BackgroundLoop> autoscaling_;
  std::unique_ptr<api::KinesisHandler> handler_;
  std::unique_ptr<api::HttpServer> http_;
};

Status<ServerErrc> Server::Impl::Start() {
  if (auto st = fs_.CreateDirs(config_.data_dir); !st.ok()) {
    return {ServerErrc::kDataDir,
            fmt::format("cannot create data directory {}: {}", config_.data_dir, st.message())};
  }
  // One process per data directory: a second one would interleave appends to the same logs.
  auto lock = fs_.LockFile(config_.data_dir + "/LOCK");
  if (!lock.ok()) {
    return {ServerErrc::kDataDir,
            fmt::format("data directory {} is in use: {}", config_.data_dir, lock.message())};
  }
  lock_ = std::move(*lock);
  auto key = LoadOrCreateTokenKey(fs_, config_.data_dir);
  if (!key.ok()) return key.status();
  auto catalog = meta::Catalog::Open(fs_, config_.data_dir);
  if (!catalog.ok()) {
    return {ServerErrc::kCatalog, fmt::format("cannot open the catalog in {}: {}",
                                              config_.data_dir, catalog.message())};
  }
  catalog_ = std::move(*catalog);
  storage::EngineOptions engine_opts;
  engine_opts.dir = config_.data_dir + "/streams";
  engine_opts.durability = config_.durability == "flush" ? storage::Durability::kFlush
                                                         : storage::Durability::kSync;
  auto engine = storage::OpenLogEngine(fs_, clock_, engine_opts);
  if (!engine.ok()) {
    return {ServerErrc::kStorage, fmt::format("cannot open the shard logs in {}: {}",
                                              engine_opts.dir, engine.message())};
  }
  engine_ = std::move(*engine);
  auto profile = service::LimitProfile::Parse(config_.limits);
  if (!profile) return {ServerErrc::kConfig, fmt::format("bad --limits {}", config_.limits)};
  service::ServiceOptions opts;
  opts.region = config_.region;
  opts.account_id = config_.account_id;
  opts.create_delay_ms = config_.create_delay_ms;
  opts.delete_delay_ms = config_.delete_delay_ms;
  opts.update_delay_ms = config_.update_delay_ms;
  opts.consumer_create_delay_ms = config_.consumer_create_delay_ms;
  opts.consumer_delete_delay_ms = config_.consumer_delete_delay_ms;
  opts.shard_limit = config_.shard_limit;
  opts.on_demand_stream_limit = config_.on_demand_stream_limit;
  opts.next_token_ttl_ms = config_.next_token_ttl_seconds * 1000;
  opts.token_key = *key;
  streams_ = std::make_unique<service::StreamService>(*catalog_, clock_, opts);
  service::DataPlaneOptions data_opts;
  data_opts.iterator_ttl_ms = config_.iterator_ttl_seconds * 1000;
  data_opts.limits = profile->Shard();
  if (config_.on_demand_scale_interval_ms > 0) {
    usage_ = std::make_unique<service::UsageMeter>();
    data_opts.usage = usage_.get();
  }
  data_ = std::make_unique<service::DataPlane>(*streams_, *engine_, clock_, data_opts);
  requests_ = std::make_unique<service::RequestLimiter>(clock_, *profile, config_.account_id);
  // A removed stream's logs go with it (the catalog no longer names that revision), and so
  // does its throughput state.
  streams_->SetStreamRemovedHook([engine = engine_.get(), data = data_.get()](uint64_t revision) {
    data->ForgetStream(revision);
    if (auto st = engine->DropStream(revision); !st.ok())
      spdlog::warn("cannot drop the logs of stream revision {}: {}", revision, st.message());
  });
  transitions_ = std::make_unique<service::BackgroundLoop>(
      clock_, [s = streams_.get()] { return s->CompleteDueTransitions(); }, 1000);
  transitions_->Start();
  retention_ = std::make_unique<service::BackgroundLoop>(
      clock_, [d = data_.get()] { return std::optional<int64_t>(d->EnforceRetention()); },
      60'000);
  retention_->Start();
  StartAutoscaler(*profile);
  service::FanOutOptions fan_opts;
  fan_opts.lifetime_ms = config_.subscription_lifetime_ms;
  fan_opts.heartbeat_ms = config_.subscription_heartbeat_ms;
  if (profile->Shard().enabled) fan_opts.read_bytes_per_sec = profile->Shard().read_bytes;
  fanout_ = std::make_unique<service::FanOut>(*streams_, *data_, clock_, fan_opts);
  handler_ = std::make_unique<api::KinesisHandler>(
      api::Services{*streams_, *data_, requests_.get(), fanout_.get()}, clock_,
      config_.worker_threads);
  api::HttpServerOptions http_opts;
  http_opts.host = config_.host;
  http_opts.port = config_.port;
  http_opts.io_threads = config_.io_threads;
  http_opts.max_body_bytes = static_cast<uint64_t>(config_.max_body_mib) * 1024 * 1024;
  auto tls = LoadTlsCertificate(fs_, clock_, config_);
  if (!tls.ok()) {
    Stop();
    return tls.status();
  }
  http_opts.tls_cert_pem = std::move(tls->cert_pem);
  http_opts.tls_key_pem = std::move(tls->key_pem);
  if (config_.tls_port != 0) http_opts.tls_port = config_.tls_port;
  http_ = std::make_unique<api::HttpServer>(http_opts, *handler_);
  if (auto st = http_->Start(); !st.ok()) {
    Stop();
    return {ServerErrc::kListen, st.message()};
  }
  spdlog::info("shoal listening on {}:{} (http and https; data in {}, {} streams, limits {})",
               config_.host, http_->port(), config_.data_dir, catalog_->streams().size(),
               profile->ToString());
  if (http_->tls_port() != 0)
    spdlog::info("shoal listening on {}:{} (https only)", config_.host, http_->tls_port());
  return {};
}

void Server::Impl::StartAutoscaler(const service::LimitProfile& profile) {
  if (!usage_) return;
  service::AutoscalerOptions opts;
  opts.interval_ms = config_.on_demand_scale_interval_ms;
  opts.scaler.window_ms = config_.on_demand_window_ms;
  opts.scaler.cooldown_ms = config_.on_demand_cooldown_ms;
  opts.scaler.peak_window_ms = config_.on_demand_peak_window_ms;
  opts.scaler.max_shards = config_.on_demand_max_shards;
  opts.scaler.min_shards = std::min(streams_->options().on_demand_initial_shards,
                                    config_.on_demand_max_shards);
  // A shard's capacity is what the limit profile lets it take (AWS's numbers when off).
  if (profile.enabled()) {
    opts.scaler.shard_bytes_per_sec = profile.Shard().write_bytes;
    opts.scaler.shard_records_per_sec = profile.Shard().write_records;
  }
  autoscaler_ = std::make_unique<service::Autoscaler>(*streams_, *usage_, clock_, opts);
  autoscaling_ = std::make_unique<service::BackgroundLoop>(
      clock_,
      [a = autoscaler_.get()] {
        for (const auto& step : a->Tick()) {
          if (step.status.ok()) {
            spdlog::info("on-demand scaling of stream {}: {} -> {} open shards ({})",
                         step.stream, step.open_before, step.action.target, step.action.reason);
          } else {
            spdlog::warn("on-demand scaling of stream {} failed: {}", step.stream,
                         step.status.message());
          }
        }
        return std::optional<int64_t>(a->next_run_ms());
      },
      config_.on_demand_scale_interval_ms);
  autoscaling_->Start();
}

void Server::Impl::Stop() {
  // Reverse order of Start: no new requests, then no running ones, then no state changes.
  if (http_) http_->Stop();
  if (handler_) handler_->Stop();
  if (fanout_) fanout_->Stop();
  if (retention_) retention_->Stop();
  if (autoscaling_) autoscaling_->Stop();
  if (transitions_) transitions_->Stop();
  // Last: completes the appends still queued (their answers go nowhere now).
  if (engine_) engine_->Stop();
}

Server::Server(ServeConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
Server::~Server() = default;
Status<ServerErrc> Server::Start() { return impl_->Start(); }
void Server::Stop() { impl_->Stop(); }
uint16_t Server::port() const { return impl_->port(); }
uint16_t Server::tls_port() const { return impl_->tls_port(); }

}  // namespace shoal::server
