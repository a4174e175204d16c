// JSON 1.1 response writer: appends straight into one std::string.

#include <algorithm>
#include <cassert>
#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "api/codec/writer.h"
#include "common/base64.h"

namespace shoal::api {
namespace {

// For each byte: 0 = copy as is, 'u' = \u00XX, other = the letter after the backslash.
struct EscapeTable {
  char code[256];
};

constexpr EscapeTable MakeEscapeTable() {
  EscapeTable t{};
  for (int c = 0; c < 0x20; ++c) t.code[c] = 'u';
  t.code['\b'] = 'b';
  t.code['\f'] = 'f';
  t.code['\n'] = 'n';
  t.code['\r'] = 'r';
  t.code['\t'] = 't';
  t.code['"'] = '"';
  t.code['\\'] = '\\';
  return t;
}

constexpr EscapeTable kEscape = MakeEscapeTable();

class JsonWriter final : public Writer {
 public:
  JsonWriter() {
    out_.reserve(256);
    stack_.reserve(8);
  }

  void BeginObject() override { Open('{', kObject); }
  void EndObject() override { Close('}', kObject); }
  void BeginArray() override { Open('[', kArray); }
  void EndArray() override { Close(']', kArray); }

  void Key(std::string_view key) override {
    assert(!stack_.empty() && (stack_.back() & kArray) == 0 && !after_key_);
    if (stack_.back() & kHasItems) out_.push_back(',');
    stack_.back() |= kHasItems;
    AppendQuoted(key);
    out_.push_back(':');
    after_key_ = true;
  }

  void String(std::string_view s) override {
    BeforeValue();
    AppendQuoted(s);
  }

  void Blob(std::string_view bytes) override {
    BeforeValue();
    out_.push_back('"');
    Base64EncodeTo(bytes, out_);
    out_.push_back('"');
  }

  void Int(int64_t i) override {
    BeforeValue();
    char buf[24];
    out_.append(buf, std::to_chars(buf, buf + sizeof(buf), i).ptr);
  }

  void Bool(bool b) override {
    BeforeValue();
    out_.append(b ? "true" : "false");
  }

  void Null() override {
    BeforeValue();
    out_.append("null");
  }

  void Double(double d) override;
  void TimestampMs(int64_t epoch_ms) override;

  void Reserve(size_t bytes) override { out_.reserve(bytes); }

  std::string Finish() override {
    assert(stack_.empty() && has_root_ && !after_key_);
    return std::move(out_);
  }

 private:
  // Frame bits on stack_.
  static constexpr uint8_t kObject = 0, kArray = 1, kHasItems = 2;

  // Emits the separator a value needs and checks that a value may go here.
  void BeforeValue() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (stack_.empty()) {
      assert(!has_root_);
      has_root_ = true;
      return;
    }
    assert(stack_.back() & kArray);  // in an object, Key() must come first
    if (stack_.back() & kHasItems) out_.push_back(',');
    stack_.back() |= kHasItems;
  }

  void Open(char c, uint8_t kind) {
    BeforeValue();
    out_.push_back(c);
    stack_.push_back(kind);
  }

  void Close(char c, [[maybe_unused]] uint8_t kind) {
    assert(!stack_.empty() && (stack_.back() & kArray) == kind && !after_key_);
    out_.push_back(c);
    stack_.pop_back();
  }

  void AppendQuoted(std::string_view s);

  std::string out_;
  std::vector<uint8_t> stack_;
  bool after_key_ = false;
  bool has_root_ = false;
};

void JsonWriter::AppendQuoted(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out_.reserve(out_.size() + s.size() + 2);
  out_.push_back('"');
  const char* run = s.data();
  const char* const end = run + s.size();
  for (const char* p = run; p < end; ++p) {
    const char code = kEscape.code[static_cast<uint8_t>(*p)];
    if (code == 0) continue;
    out_.append(run, p);
    if (code == 'u') {
      const auto c = static_cast<uint8_t>(*p);
      const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
      out_.append(esc, sizeof(esc));
    } else {
      const char esc[2] = {'\\', code};
      out_.append(esc, sizeof(esc));
    }
    run = p + 1;
  }
  out_.append(run, end);
  out_.push_back('"');
}

void JsonWriter::Double(double d) {
  BeforeValue();
  if (!std::isfinite(d)) {
    out_.append("null");
    return;
  }
  char buf[40];
  char* end = std::to_chars(buf, buf + sizeof(buf), d).ptr;
  out_.append(buf, end);
  // Keep it a non-integer for readers that type numbers by their form: 1.0, not 1.
  if (std::find_if(buf, end, [](char c) { return c == '.' || c == 'e'; }) == end)
    out_.append(".0");
}

void JsonWriter::TimestampMs(int64_t epoch_ms) {
  BeforeValue();
  char buf[32];
  char* p = buf;
  uint64_t mag = static_cast<uint64_t>(epoch_ms);
  if (epoch_ms < 0) {
    *p++ = '-';
    mag = 0 - mag;  // well defined for INT64_MIN too
  }
  p = std::to_chars(p, buf + sizeof(buf), mag / 1000).ptr;
  const auto ms = static_cast<unsigned>(mag % 1000);
  if (ms != 0) {
    const char digits[3] = {static_cast<char>('0' + ms / 100),
                            static_cast<char>('0' + ms / 10 % 10),
                            static_cast<char>('0' + ms % 10)};
    const int n = ms % 10 != 0 ? 3 : ms % 100 != 0 ? 2 : 1;
    *p++ = '.';
    for (int i = 0; i < n; ++i) *p++ = digits[i];
  }
  out_.append(buf, p);
}

}  // namespace

std::unique_ptr<Writer> NewJsonWriter() { return std::make_unique<JsonWriter>(); }

}  // namespace shoal::api
