#pragma once
// Everything `shoal serve` can be told, with its defaults. Each flag is documented in
// `shoal serve --help` (main.cc) and in the README.

#include <cstdint>
#include <string>

namespace shoal::server {

struct ServeConfig {
  std::string host = "127.0.0.1";
  uint16_t port = 4567;
  std::string port_file;  // written with the bound port once listening (useful with port 0)
  std::string data_dir = "./data";
  std::string region = "us-east-1";
  std::string account_id = "000000000000";
  int64_t create_delay_ms = 500;
  int64_t delete_delay_ms = 500;
  int64_t update_delay_ms = 500;
  int64_t consumer_create_delay_ms = 500;
  int64_t consumer_delete_delay_ms = 500;
  int64_t shard_limit = 20000;
  int64_t on_demand_stream_limit = 50;
  int64_t max_body_mib = 16;
  int io_threads = 2;
  int worker_threads = 2;
  int64_t next_token_ttl_seconds = 300;
  int64_t iterator_ttl_seconds = 300;
  // Enhanced fan-out: a SubscribeToShard stream's lifetime (AWS: 5 min) and idle heartbeat.
  int64_t subscription_lifetime_ms = 300'000;
  int64_t subscription_heartbeat_ms = 1'000;
  std::string durability = "sync";  // "sync" (fdatasync before acknowledging) or "flush"
  std::string log_level = "info";
  // Throughput and request-rate limits: "aws" (AWS's numbers), "off", or "scaled:<factor>"
  // (docs/design/limits.md).
  std::string limits = "aws";
  // TLS (docs/design/transport.md). The main port always accepts TLS next to cleartext;
  // tls_port (0 = none) adds a listener that speaks only TLS. Without tls_cert/tls_key (given
  // together) a self-signed certificate is generated in <data_dir>/tls and reused.
  uint16_t tls_port = 0;
  std::string tls_cert;  // PEM certificate (chain) file
  std::string tls_key;   // PEM private key file
  // The on-demand autoscaler (docs/design/autoscaling.md); interval 0 turns it off.
  int64_t on_demand_scale_interval_ms = 10'000;
  int64_t on_demand_window_ms = 60'000;
  int64_t on_demand_cooldown_ms = 60'000;
  int64_t on_demand_peak_window_ms = 24 * 3'600'000;
  int64_t on_demand_max_shards = 10'000;
};

}  // namespace shoal::server
