#pragma once
// The set of live connections, so Stop() can shut them all down.

#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

namespace shoal::api::transport {

class Connection;

// Thread-safe. Holds weak_ptrs only; expired entries are pruned as new ones arrive.
class ConnectionRegistry {
 public:
  // Returns false once ShutdownAll() has run: the caller must then close itself.
  [[nodiscard]] bool Add(std::weak_ptr<Connection> connection);
  // Refuses further Add()s and calls Shutdown() on every live connection. Idempotent.
  void ShutdownAll();

 private:
  static constexpr size_t kMinPruneAt = 64;

  std::mutex mu_;
  bool closed_ = false;                                // guarded by mu_
  std::vector<std::weak_ptr<Connection>> connections_;  // guarded by mu_
  size_t prune_at_ = kMinPruneAt;                       // guarded by mu_
};

}  // namespace shoal::api::transport
