#pragma once
// A decoded request body: the common tree that both the JSON and the CBOR readers produce,
// so that validation and binding to typed requests are written once.
//
// Format differences are kept, not normalised: a JSON blob is a kString holding base64 text,
// a CBOR blob is a kBytes; a JSON timestamp is a number of seconds, a CBOR timestamp is an
// integer of milliseconds (usually with tag 1). The binder interprets them by Format.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace shoal::api {

enum class Format : uint8_t { kJson, kCbor };

class Value {
 public:
  enum class Kind : uint8_t { kNull, kBool, kInt, kDouble, kString, kBytes, kArray, kObject };
  using Member = std::pair<std::string, Value>;

  Value() = default;
  static Value Null() { return Value(); }
  static Value Bool(bool b) {
    Value v(Kind::kBool);
    v.int_ = b ? 1 : 0;
    return v;
  }
  static Value Int(int64_t i) {
    Value v(Kind::kInt);
    v.int_ = i;
    return v;
  }
  static Value Double(double d) {
    Value v(Kind::kDouble);
    v.double_ = d;
    return v;
  }
  static Value String(std::string s) {
    Value v(Kind::kString);
    v.str_ = std::move(s);
    return v;
  }
  static Value Bytes(std::string b) {
    Value v(Kind::kBytes);
    v.str_ = std::move(b);
    return v;
  }
  static Value Array() { return Value(Kind::kArray); }
  static Value Object() { return Value(Kind::kObject); }

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_number() const { return kind_ == Kind::kInt || kind_ == Kind::kDouble; }

  // REQUIRES: the matching kind.
  bool as_bool() const { return int_ != 0; }
  int64_t as_int() const { return int_; }
  double as_double() const { return kind_ == Kind::kInt ? static_cast<double>(int_) : double_; }
  const std::string& as_string() const { return str_; }  // kString or kBytes
  std::string& mutable_string() { return str_; }
  const std::vector<Value>& items() const { return items_; }
  std::vector<Value>& mutable_items() { return items_; }
  const std::vector<Member>& members() const { return members_; }
  std::vector<Member>& mutable_members() { return members_; }

  // CBOR tag 1 was seen on this item (the reader records it; JSON never sets it).
  bool tagged_epoch() const { return tagged_epoch_; }
  void set_tagged_epoch(bool t) { tagged_epoch_ = t; }

  // Object lookup by exact key; nullptr when absent. Linear: request objects are small.
  const Value* Find(std::string_view key) const {
    for (const auto& m : members_)
      if (m.first == key) return &m.second;
    return nullptr;
  }

 private:
  explicit Value(Kind k) : kind_(k) {}

  Kind kind_ = Kind::kNull;
  bool tagged_epoch_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string str_;
  std::vector<Value> items_;
  std::vector<Member> members_;
};

}  // namespace shoal::api
