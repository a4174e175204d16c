// StreamService's side of the on-demand autoscaler: applying one decided step.

#include <fmt/format.h>

#include "service/autoscale/on_demand_scaler.h"
#include "service/stream_service.h"

namespace shoal::service {

SvcStatus StreamService::ApplyOnDemandScaling(const std::string& name, uint64_t revision,
                                              const ScalingAction& action) {
  Lock lock(mu_);
  int64_t now = clock_.NowMs();
  CompleteDueLocked(now);
  const meta::StreamRecord* s = catalog_.FindStream(name);
  if (s == nullptr || s->revision != revision) return {Errc::kResourceNotFound, NotFound(name)};
  ReshardContext ctx = ContextFor(*s, now);
  ctx.on_demand_scaling = true;
  switch (action.kind) {
    case ScalingAction::Kind::kSplit: {
      auto cmd = PlanSplit(ctx, ShardIdString(action.shard), FormatUint128(action.split_key));
      if (!cmd.ok()) return cmd.status();
      return Commit(*cmd);
    }
    case ScalingAction::Kind::kMerge: {
      auto cmd = PlanMerge(ctx, ShardIdString(action.shard), ShardIdString(action.adjacent));
      if (!cmd.ok()) return cmd.status();
      return Commit(*cmd);
    }
    case ScalingAction::Kind::kUniform: {
      auto plan = PlanUniformScaling(ctx, action.target);
      if (!plan.ok()) return plan.status();
      return Commit(plan->cmd);
    }
  }
  return {Errc::kInternal, "unknown scaling action"};
}

}  // namespace shoal::service
