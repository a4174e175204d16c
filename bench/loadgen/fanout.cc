#include "fanout.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

namespace shoal::loadgen {

FanoutPlan MakeFanoutPlan(int subscriptions, int max_consumers) {
  FanoutPlan p;
  subscriptions = std::max(1, subscriptions);
  max_consumers = std::clamp(max_consumers, 1, kMaxConsumersPerStream);
  p.consumers = std::min(subscriptions, max_consumers);
  p.shards = (subscriptions + p.consumers - 1) / p.consumers;
  p.subs_per_shard.assign(static_cast<size_t>(p.shards), 0);
  p.subs.reserve(static_cast<size_t>(subscriptions));
  for (int i = 0; i < subscriptions; ++i) {
    FanoutPlan::Sub s{.consumer = i % p.consumers, .shard = i / p.consumers};
    ++p.subs_per_shard[static_cast<size_t>(s.shard)];
    p.subs.push_back(s);
  }
  return p;
}

namespace {
template <typename T>
void Put(std::string& out, size_t at, T v) {
  std::memcpy(out.data() + at, &v, sizeof v);  // host order: the reader is this process
}
template <typename T>
T Get(std::string_view in, size_t at) {
  T v;
  std::memcpy(&v, in.data() + at, sizeof v);
  return v;
}
}  // namespace

// Layout: magic u32 | flags u32 (bit 0: measured) | sent_ns u64 | shard u32 | 0 u32 | number u64.
std::string EncodeProbe(const Probe& p, size_t record_bytes) {
  std::string out(std::max(record_bytes, Probe::kSize), '\0');
  Put<uint32_t>(out, 0, Probe::kMagic);
  Put<uint32_t>(out, 4, p.measured ? 1u : 0u);
  Put<uint64_t>(out, 8, p.sent_ns);
  Put<uint32_t>(out, 16, p.shard);
  Put<uint64_t>(out, 24, p.number);
  return out;
}

bool DecodeProbe(std::string_view raw, Probe& out) {
  if (raw.size() < Probe::kSize || Get<uint32_t>(raw, 0) != Probe::kMagic) return false;
  uint32_t flags = Get<uint32_t>(raw, 4);
  if (flags > 1 || Get<uint32_t>(raw, 20) != 0) return false;
  out.measured = flags & 1;
  out.sent_ns = Get<uint64_t>(raw, 8);
  out.shard = Get<uint32_t>(raw, 16);
  out.number = Get<uint64_t>(raw, 24);
  return true;
}

bool DecodeProbeBase64(std::string_view b64, Probe& out) {
  constexpr size_t kChars = 44;  // 33 bytes: the 32 of the probe and one more (or padding)
  if (b64.size() < kChars) return false;
  unsigned char raw[kChars / 4 * 3];
  int n = EVP_DecodeBlock(raw, reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(kChars));
  if (n < static_cast<int>(Probe::kSize)) return false;
  return DecodeProbe(std::string_view(reinterpret_cast<const char*>(raw), Probe::kSize), out);
}

bool ReceivedSet::Mark(uint64_t n) {
  if (n >= bits_.size()) bits_.resize(std::max<size_t>(n + 1, bits_.size() * 2));
  if (bits_[n]) return false;
  bits_[n] = true;
  ++count_;
  return true;
}

std::chrono::steady_clock::time_point NextSubscribeAt(std::chrono::steady_clock::time_point last_attempt,
                                                      std::chrono::steady_clock::time_point now,
                                                      std::chrono::nanoseconds backoff,
                                                      std::chrono::nanoseconds min_interval,
                                                      std::chrono::nanoseconds margin) {
  auto at = now + backoff;
  if (last_attempt != std::chrono::steady_clock::time_point{}) {
    at = std::max(at, last_attempt + min_interval + margin);
  }
  return at;
}

bool ParseFanoutEvent(simdjson::dom::parser& parser, std::string_view payload, FanoutEvent& out) {
  out.data.clear();
  out.continuation = {};
  simdjson::dom::element doc;
  if (parser.parse(payload.data(), payload.size()).get(doc)) return false;
  simdjson::dom::array records;
  if (doc["Records"].get_array().get(records)) return false;
  for (simdjson::dom::element r : records) {
    std::string_view data;
    if (r["Data"].get_string().get(data)) return false;
    out.data.push_back(data);
  }
  std::string_view cont;
  if (!doc["ContinuationSequenceNumber"].get_string().get(cont)) out.continuation = cont;
  return true;
}

}  // namespace shoal::loadgen
