#include "api/codec/writer.h"

namespace shoal::api {

void WriteValue(const Value& value, Writer& w) {
  switch (value.kind()) {
    case Value::Kind::kNull:
      w.Null();
      return;
    case Value::Kind::kBool:
      w.Bool(value.as_bool());
      return;
    case Value::Kind::kInt:
      if (value.tagged_epoch()) {
        w.TimestampMs(value.as_int());
      } else {
        w.Int(value.as_int());
      }
      return;
    case Value::Kind::kDouble:
      w.Double(value.as_double());
      return;
    case Value::Kind::kString:
      w.String(value.as_string());
      return;
    case Value::Kind::kBytes:
      w.Blob(value.as_string());
      return;
    case Value::Kind::kArray:
      w.BeginArray();
      for (const Value& item : value.items()) WriteValue(item, w);
      w.EndArray();
      return;
    case Value::Kind::kObject:
      w.BeginObject();
      for (const auto& [key, member] : value.members()) {
        w.Key(key);
        WriteValue(member, w);
      }
      w.EndObject();
      return;
  }
}

}  // namespace shoal::api
