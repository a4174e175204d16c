#include "service/stream_view.h"

#include <algorithm>
#include <cassert>

namespace shoal::service {

std::shared_ptr<const StreamView> StreamView::Of(const meta::StreamRecord& r) {
  auto v = std::make_shared<StreamView>();
  v->name = r.name;
  v->revision = r.revision;
  v->status = r.status;
  v->mode = r.mode;
  v->retention_hours = r.retention_hours;
  v->max_record_size_kib = r.max_record_size_kib;
  v->encryption = r.encryption;
  v->shards = r.shards;
  for (uint32_t i = 0; i < v->shards.size(); ++i)
    if (v->shards[i].open()) v->open_by_hash.push_back(i);
  std::sort(v->open_by_hash.begin(), v->open_by_hash.end(), [&](uint32_t a, uint32_t b) {
    return v->shards[a].starting_hash_key < v->shards[b].starting_hash_key;
  });
  return v;
}

const meta::ShardRecord* StreamView::FindShard(uint32_t index) const {
  auto it = std::lower_bound(shards.begin(), shards.end(), index,
                             [](const meta::ShardRecord& s, uint32_t i) { return s.index < i; });
  return it != shards.end() && it->index == index ? &*it : nullptr;
}

const meta::ShardRecord& StreamView::Route(uint128 hash) const {
  assert(!open_by_hash.empty());
  // The last open shard whose range starts at or below `hash`.
  auto it = std::upper_bound(open_by_hash.begin(), open_by_hash.end(), hash,
                             [&](uint128 h, uint32_t i) { return h < shards[i].starting_hash_key; });
  assert(it != open_by_hash.begin());
  return shards[*(it - 1)];
}

}  // namespace shoal::service
