#include "payload.h"

#include <openssl/evp.h>

#include "kinesis.h"
#include "sigv4.h"

namespace shoal::loadgen {

std::string Base64Encode(std::string_view raw) {
  std::string out(4 * ((raw.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()),
                          static_cast<int>(raw.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

std::vector<std::string> MakePartitionKeys(int count, std::mt19937_64& rng) {
  static constexpr char kAlphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::vector<std::string> keys;
  keys.reserve(static_cast<size_t>(count));
  for (int i = 0; i < count; ++i) {
    std::string k(16, '0');
    for (char& c : k) c = kAlphabet[rng() % 36];
    keys.push_back(std::move(k));
  }
  return keys;
}

std::vector<std::string> MakeBase64Payloads(int count, int bytes, std::mt19937_64& rng) {
  std::vector<std::string> out;
  out.reserve(static_cast<size_t>(count));
  std::string raw(static_cast<size_t>(bytes), '\0');
  for (int i = 0; i < count; ++i) {
    for (char& c : raw) c = static_cast<char>(rng());
    out.push_back(Base64Encode(raw));
  }
  return out;
}

BodyPool MakePutRecordsPool(const PayloadOptions& o) {
  std::mt19937_64 rng(o.seed);
  auto keys = MakePartitionKeys(o.keys, rng);
  auto payloads = MakeBase64Payloads(o.payloads, o.record_bytes, rng);
  BodyPool pool;
  for (int b = 0; b < o.bodies; ++b) {
    PooledBody body;
    std::string& j = body.json;
    j.reserve(static_cast<size_t>(o.records_per_request) *
              (payloads[0].size() + keys[0].size() + 32) + o.stream.size() + 64);
    j = "{\"StreamName\":";
    AppendJsonString(j, o.stream);
    j += ",\"Records\":[";
    for (int r = 0; r < o.records_per_request; ++r) {
      if (r) j += ',';
      j += "{\"Data\":\"";
      j += payloads[rng() % payloads.size()];
      j += "\",\"PartitionKey\":\"";
      j += keys[rng() % keys.size()];
      j += "\"}";
    }
    j += "]}";
    body.records = static_cast<uint32_t>(o.records_per_request);
    body.data_bytes = static_cast<uint64_t>(o.records_per_request) * static_cast<uint64_t>(o.record_bytes);
    if (o.hash_bodies) body.sha256 = Sha256Hex(j);
    pool.bodies().push_back(std::move(body));
  }
  return pool;
}

BodyPool MakePutRecordPool(const PayloadOptions& o) {
  std::mt19937_64 rng(o.seed);
  auto keys = MakePartitionKeys(o.keys, rng);
  auto payloads = MakeBase64Payloads(o.payloads, o.record_bytes, rng);
  BodyPool pool;
  for (int b = 0; b < o.bodies; ++b) {
    PooledBody body;
    BuildPutRecord(body.json, o.stream, keys[rng() % keys.size()], payloads[rng() % payloads.size()]);
    body.records = 1;
    body.data_bytes = static_cast<uint64_t>(o.record_bytes);
    if (o.hash_bodies) body.sha256 = Sha256Hex(body.json);
    pool.bodies().push_back(std::move(body));
  }
  return pool;
}

}  // namespace shoal::loadgen
