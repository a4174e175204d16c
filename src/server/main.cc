// shoal: a Kinesis Data Streams–compatible server. `shoal serve --help` lists every flag.

#include <CLI/CLI.hpp>
#include <spdlog/spdlog.h>

#include <csignal>
#include <cstdio>
#include <fstream>

#include "server/server.h"
#include "service/throttle/limits.h"

namespace {

void AddServeFlags(CLI::App& serve, shoal::server::ServeConfig& c) {
  serve.add_option("--host", c.host, "Address to listen on")->capture_default_str();
  serve.add_option("--port", c.port, "TCP port for HTTP/1.1 and HTTP/2 (0 picks a free port)")
      ->capture_default_str();
  serve.add_option("--port-file", c.port_file,
                   "Write the bound port to this file once listening");
  serve.add_option("--data-dir", c.data_dir, "Directory holding all durable state")
      ->capture_default_str();
  serve.add_option("--region", c.region, "Region used in ARNs")->capture_default_str();
  serve.add_option("--account-id", c.account_id, "12-digit account id used in ARNs")
      ->capture_default_str()
      ->check([](const std::string& s) {
        return s.size() == 12 && s.find_first_not_of("0123456789") == std::string::npos
                   ? std::string()
                   : std::string("must be 12 digits");
      });
  serve.add_option("--create-delay-ms", c.create_delay_ms, "How long a new stream stays CREATING")
      ->capture_default_str()->check(CLI::Range(int64_t{0}, int64_t{600000}));
  serve.add_option("--delete-delay-ms", c.delete_delay_ms, "How long a stream stays DELETING")
      ->capture_default_str()->check(CLI::Range(int64_t{0}, int64_t{600000}));
  serve.add_option("--update-delay-ms", c.update_delay_ms, "How long a stream stays UPDATING")
      ->capture_default_str()->check(CLI::Range(int64_t{0}, int64_t{600000}));
  serve.add_option("--consumer-create-delay-ms", c.consumer_create_delay_ms,
                   "How long a new stream consumer stays CREATING")
      ->capture_default_str()->check(CLI::Range(int64_t{0}, int64_t{600000}));
  serve.add_option("--consumer-delete-delay-ms", c.consumer_delete_delay_ms,
                   "How long a deregistered stream consumer stays DELETING")
      ->capture_default_str()->check(CLI::Range(int64_t{0}, int64_t{600000}));
  serve.add_option("--shard-limit", c.shard_limit, "Account quota of open provisioned shards")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  serve.add_option("--on-demand-stream-limit", c.on_demand_stream_limit,
                   "Account quota of on-demand streams")
      ->capture_default_str()->check(CLI::Range(int64_t{0}, int64_t{1000000}));
  serve.add_option("--max-body-mib", c.max_body_mib, "Largest request body accepted, in MiB")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{1024}));
  serve.add_option("--io-threads", c.io_threads, "Network I/O threads")
      ->capture_default_str()->check(CLI::Range(1, 64));
  serve.add_option("--worker-threads", c.worker_threads, "Threads that run operations")
      ->capture_default_str()->check(CLI::Range(1, 64));
  serve.add_option("--next-token-ttl-seconds", c.next_token_ttl_seconds,
                   "Lifetime of pagination tokens (AWS: 300)")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{86400}));
  serve.add_option("--iterator-ttl-seconds", c.iterator_ttl_seconds,
                   "Lifetime of shard iterators (AWS: 300)")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{86400}));
  serve.add_option("--subscription-lifetime-ms", c.subscription_lifetime_ms,
                   "How long a SubscribeToShard event stream lasts before the client must "
                   "resubscribe (AWS: 300000)")
      ->capture_default_str()->check(CLI::Range(int64_t{1000}, int64_t{86400000}));
  serve.add_option("--subscription-heartbeat-ms", c.subscription_heartbeat_ms,
                   "An idle SubscribeToShard stream gets an empty event this often")
      ->capture_default_str()->check(CLI::Range(int64_t{10}, int64_t{60000}));
  serve.add_option("--durability", c.durability,
                   "sync: acknowledge writes once fdatasync'ed (survives power loss); flush: once "
                   "written to the OS (survives a process crash only)")
      ->capture_default_str()
      ->check(CLI::IsMember({"sync", "flush"}));
  serve.add_option("--limits", c.limits,
                   "Throughput limits: aws (AWS's per-shard and control-plane rates), off (no "
                   "throttling) or scaled:<factor> (every rate of aws times factor)")
      ->capture_default_str()
      ->check([](const std::string& s) {
        return shoal::service::LimitProfile::Parse(s)
                   ? std::string()
                   : std::string("must be aws, off or scaled:<factor> with 0 < factor <= 1e6");
      });
  serve.add_option("--tls-port", c.tls_port,
                   "Extra port that speaks only TLS (0 = none; the main port accepts TLS too)")
      ->capture_default_str();
  serve.add_option("--tls-cert", c.tls_cert,
                   "PEM certificate (chain) for TLS; default: a self-signed one generated in "
                   "<data-dir>/tls/cert.pem");
  serve.add_option("--tls-key", c.tls_key, "PEM private key of --tls-cert");
  serve.add_option("--on-demand-scale-interval-ms", c.on_demand_scale_interval_ms,
                   "On-demand autoscaler: how often write usage is sampled and a scaling step "
                   "decided (0 turns the autoscaler off)")
      ->capture_default_str()->check(CLI::Range(int64_t{0}, int64_t{3600000}));
  serve.add_option("--on-demand-window-ms", c.on_demand_window_ms,
                   "On-demand autoscaler: sustained traffic is the average over this window")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{86400000}));
  serve.add_option("--on-demand-cooldown-ms", c.on_demand_cooldown_ms,
                   "On-demand autoscaler: least time between two scaling steps of a stream")
      ->capture_default_str()->check(CLI::Range(int64_t{0}, int64_t{86400000}));
  serve.add_option("--on-demand-peak-window-ms", c.on_demand_peak_window_ms,
                   "On-demand autoscaler: a stream keeps capacity for double its peak sustained "
                   "write traffic of this long (AWS: 30 days = 2592000000)")
      ->capture_default_str()->check(CLI::Range(int64_t{1}, int64_t{2592000000}));
  serve.add_option("--on-demand-max-shards", c.on_demand_max_shards,
                   "On-demand autoscaler: most open shards an on-demand stream scales out to")
      ->capture_default_str()->check(CLI::Range(int64_t{4}, int64_t{10000}));
  serve.add_option("--log-level", c.log_level, "trace, debug, info, warn, error or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
}

// Blocks until SIGINT or SIGTERM.
void WaitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  spdlog::info("signal {}: shutting down", sig);
}

int Serve(const shoal::server::ServeConfig& config) {
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  // Block the signals before any thread starts so only WaitForSignal receives them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  shoal::server::Server server(config);
  if (auto st = server.Start(); !st.ok()) {
    spdlog::error("cannot start: {}", st.message());
    return 1;
  }
  if (!config.port_file.empty()) {
    std::string tmp = config.port_file + ".tmp";
    {
      std::ofstream out(tmp);
      out << server.port() << "\n";
    }
    std::rename(tmp.c_str(), config.port_file.c_str());
  }
  WaitForSignal();
  server.Stop();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"shoal: a Kinesis Data Streams-compatible streaming server"};
  app.require_subcommand(1);
  shoal::server::ServeConfig config;
  CLI::App* serve = app.add_subcommand("serve", "Run the server");
  AddServeFlags(*serve, config);
  CLI11_PARSE(app, argc, argv);
  if (serve->parsed()) return Serve(config);
  return 0;
}
