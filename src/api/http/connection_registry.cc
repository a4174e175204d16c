#include "api/http/connection_registry.h"

#include <algorithm>

#include "api/http/connection.h"

namespace shoal::api::transport {

bool ConnectionRegistry::Add(std::weak_ptr<Connection> connection) {
  std::lock_guard lock(mu_);
  if (closed_) return false;
  if (connections_.size() >= prune_at_) {
    std::erase_if(connections_, [](const auto& c) { return c.expired(); });
    // Amortised O(1) per Add: prune again only once the live set has doubled.
    prune_at_ = std::max(kMinPruneAt, 2 * connections_.size());
  }
  connections_.push_back(std::move(connection));
  return true;
}

void ConnectionRegistry::ShutdownAll() {
  std::vector<std::shared_ptr<Connection>> live;
  {
    std::lock_guard lock(mu_);
    closed_ = true;
    for (const auto& c : connections_)
      if (auto s = c.lock()) live.push_back(std::move(s));
    connections_.clear();
  }
  // Outside the lock: Shutdown() only posts, but keep the lock order trivial anyway.
  for (const auto& c : live) c->Shutdown();
}

}  // namespace shoal::api::transport
