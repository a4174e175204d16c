// CBOR response writer.
//
// Counts are not known when a map or array starts, so each container is opened with an
// indefinite-length head (0xBF / 0x9F). When it closes with at most 23 entries the head byte is
// rewritten in place to the definite form (0xA0 + n / 0x80 + n) and no break is written;
// larger containers keep the indefinite form and end with 0xFF. Small bodies such as
// {"__type":..., "message":...} therefore come out exactly as AWS writes them, nothing is
// ever moved, and Jackson (the only CBOR client) reads both forms.

#include <bit>
#include <cassert>
#include <string>
#include <vector>

#include "api/codec/writer.h"

namespace shoal::api {
namespace {

constexpr uint8_t kMajorUint = 0, kMajorNegInt = 1, kMajorBytes = 2, kMajorText = 3,
                  kMajorArray = 4, kMajorMap = 5;
constexpr uint8_t kIndefinite = 31;
constexpr char kBreak = static_cast<char>(0xFF);
constexpr char kTagEpoch = static_cast<char>(0xC1);  // tag 1
constexpr char kFalse = static_cast<char>(0xF4), kTrue = static_cast<char>(0xF5),
               kNull = static_cast<char>(0xF6), kFloat64 = static_cast<char>(0xFB);
constexpr uint64_t kMaxShortCount = 23;

class CborWriter final : public Writer {
 public:
  CborWriter() {
    out_.reserve(256);
    stack_.reserve(8);
  }

  void BeginObject() override { Open(kMajorMap); }
  void EndObject() override { Close(kMajorMap); }
  void BeginArray() override { Open(kMajorArray); }
  void EndArray() override { Close(kMajorArray); }

  void Key(std::string_view key) override {
    assert(!stack_.empty() && stack_.back().major == kMajorMap && !after_key_);
    ++stack_.back().count;
    AppendString(kMajorText, key);
    after_key_ = true;
  }

  void String(std::string_view s) override {
    BeforeValue();
    AppendString(kMajorText, s);
  }

  void Blob(std::string_view bytes) override {
    BeforeValue();
    AppendString(kMajorBytes, bytes);
  }

  void Int(int64_t i) override {
    BeforeValue();
    AppendInt(i);
  }

  void Bool(bool b) override {
    BeforeValue();
    out_.push_back(b ? kTrue : kFalse);
  }

  void Null() override {
    BeforeValue();
    out_.push_back(kNull);
  }

  void Double(double d) override {
    BeforeValue();
    char buf[9] = {kFloat64};
    const uint64_t bits = std::bit_cast<uint64_t>(d);
    for (int i = 0; i < 8; ++i) buf[1 + i] = static_cast<char>(bits >> (56 - 8 * i));
    out_.append(buf, sizeof(buf));
  }

  void TimestampMs(int64_t epoch_ms) override {
    BeforeValue();
    out_.push_back(kTagEpoch);
    AppendInt(epoch_ms);
  }

  void Reserve(size_t bytes) override { out_.reserve(bytes); }

  std::string Finish() override {
    assert(stack_.empty() && has_root_ && !after_key_);
    return std::move(out_);
  }

 private:
  struct Frame {
    size_t head_pos;  // offset of the container's head byte in out_
    uint64_t count;   // items (arrays) or keys (maps) so far
    uint8_t major;
  };

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
    assert(stack_.back().major == kMajorArray);  // in a map, Key() must come first
    ++stack_.back().count;
  }

  void Open(uint8_t major) {
    BeforeValue();
    stack_.push_back(Frame{out_.size(), 0, major});
    out_.push_back(static_cast<char>(major << 5 | kIndefinite));
  }

  void Close([[maybe_unused]] uint8_t major) {
    assert(!stack_.empty() && stack_.back().major == major && !after_key_);
    const Frame f = stack_.back();
    stack_.pop_back();
    if (f.count <= kMaxShortCount) {
      out_[f.head_pos] = static_cast<char>(f.major << 5 | f.count);
    } else {
      out_.push_back(kBreak);
    }
  }

  // Head with the shortest argument encoding.
  void AppendHead(uint8_t major, uint64_t arg) {
    char buf[9];
    const char mt = static_cast<char>(major << 5);
    size_t n;
    if (arg < 24) {
      buf[0] = static_cast<char>(mt | arg);
      out_.append(buf, 1);
      return;
    } else if (arg <= 0xFF) {
      buf[0] = static_cast<char>(mt | 24);
      n = 1;
    } else if (arg <= 0xFFFF) {
      buf[0] = static_cast<char>(mt | 25);
      n = 2;
    } else if (arg <= 0xFFFFFFFF) {
      buf[0] = static_cast<char>(mt | 26);
      n = 4;
    } else {
      buf[0] = static_cast<char>(mt | 27);
      n = 8;
    }
    for (size_t i = 0; i < n; ++i) buf[1 + i] = static_cast<char>(arg >> (8 * (n - 1 - i)));
    out_.append(buf, 1 + n);
  }

  void AppendInt(int64_t i) {
    // A negative i is encoded as major 1 with argument -1 - i, which is ~i.
    if (i >= 0) {
      AppendHead(kMajorUint, static_cast<uint64_t>(i));
    } else {
      AppendHead(kMajorNegInt, ~static_cast<uint64_t>(i));
    }
  }

  void AppendString(uint8_t major, std::string_view s) {
    AppendHead(major, s.size());
    out_.append(s);
  }

  std::string out_;
  std::vector<Frame> stack_;
  bool after_key_ = false;
  bool has_root_ = false;
};

}  // namespace

std::unique_ptr<Writer> NewCborWriter() { return std::make_unique<CborWriter>(); }

}  // namespace shoal::api
