#include "meta/commands.h"

#include "meta/overloaded.h"

namespace shoal::meta {

std::string_view CommandName(const Command& cmd) {
  return std::visit(
      Overloaded{
          [](const CreateStreamCmd&) { return std::string_view("CreateStream"); },
          [](const SetStreamStatusCmd&) { return std::string_view("SetStreamStatus"); },
          [](const DeleteStreamCmd&) { return std::string_view("DeleteStream"); },
          [](const SetRetentionCmd&) { return std::string_view("SetRetention"); },
          [](const AddTagsCmd&) { return std::string_view("AddTags"); },
          [](const RemoveTagsCmd&) { return std::string_view("RemoveTags"); },
          [](const SetShardLevelMetricsCmd&) { return std::string_view("SetShardLevelMetrics"); },
          [](const ReshardCmd&) { return std::string_view("Reshard"); },
          [](const SetStreamModeCmd&) { return std::string_view("SetStreamMode"); },
          [](const RegisterConsumerCmd&) { return std::string_view("RegisterConsumer"); },
          [](const SetConsumerStatusCmd&) { return std::string_view("SetConsumerStatus"); },
          [](const DeregisterConsumerCmd&) { return std::string_view("DeregisterConsumer"); },
          [](const SetConsumerTagsCmd&) { return std::string_view("SetConsumerTags"); },
      },
      cmd);
}

const std::string& CommandStreamName(const Command& cmd) {
  return std::visit(
      Overloaded{
          [](const CreateStreamCmd& c) -> const std::string& { return c.record.name; },
          [](const auto& c) -> const std::string& { return c.name; },
      },
      cmd);
}

uint64_t CommandRevision(const Command& cmd) {
  return std::visit(Overloaded{
                        [](const CreateStreamCmd& c) { return c.record.revision; },
                        [](const auto& c) { return c.revision; },
                    },
                    cmd);
}

}  // namespace shoal::meta
