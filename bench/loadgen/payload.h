#pragma once
// Request bodies built before a run, so the hot loop only picks one: PutRecords and PutRecord
// bodies from seeded random partition keys and payloads, with base64 computed once per distinct
// payload and (for real signing) the body's SHA-256 computed once per body.

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace shoal::loadgen {

struct PayloadOptions {
  std::string stream;
  int records_per_request = 500;  // PutRecords entries per body
  int record_bytes = 1024;        // data bytes per record
  int keys = 1000;                // distinct partition keys
  int payloads = 64;              // distinct record payloads
  int bodies = 16;                // distinct request bodies in the pool
  uint64_t seed = 1;
  bool hash_bodies = false;       // fill PooledBody::sha256
};

struct PooledBody {
  std::string json;
  std::string sha256;         // hex, when hash_bodies
  uint32_t records = 0;
  uint64_t data_bytes = 0;    // record data (decoded), all records
};

class BodyPool {
 public:
  const PooledBody& Pick(std::mt19937_64& rng) const { return bodies_[rng() % bodies_.size()]; }
  const PooledBody& at(size_t i) const { return bodies_[i]; }
  size_t size() const { return bodies_.size(); }
  std::vector<PooledBody>& bodies() { return bodies_; }

 private:
  std::vector<PooledBody> bodies_;
};

// Partition keys: `count` distinct 16-character keys from `rng`.
std::vector<std::string> MakePartitionKeys(int count, std::mt19937_64& rng);
// `count` random payloads of `bytes` bytes each, base64-encoded.
std::vector<std::string> MakeBase64Payloads(int count, int bytes, std::mt19937_64& rng);
std::string Base64Encode(std::string_view raw);

BodyPool MakePutRecordsPool(const PayloadOptions& options);
BodyPool MakePutRecordPool(const PayloadOptions& options);

}  // namespace shoal::loadgen
