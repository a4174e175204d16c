#pragma once
// Errors as values. Each layer declares its own error enum E and uses Status<E> and
// Result<T, E>; the API edge maps them to Kinesis error names in one place.
// Both types are [[nodiscard]]: dropping one on purpose must go through IgnoreError().

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace shoal {

template <class E>
class [[nodiscard]] Status {
 public:
  // An OK status.
  Status() = default;
  Status(E code, std::string message) : ok_(false), code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return ok_; }
  // REQUIRES: !ok().
  E code() const {
    assert(!ok_);
    return code_;
  }
  const std::string& message() const { return message_; }

 private:
  bool ok_ = true;
  E code_{};
  std::string message_;
};

template <class T, class E>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design, like StatusOr.
  Result(Status<E> status) : v_(std::move(status)) { assert(!std::get<1>(v_).ok()); }
  Result(E code, std::string message) : v_(Status<E>(code, std::move(message))) {}

  bool ok() const { return v_.index() == 0; }
  // REQUIRES: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  // REQUIRES: !ok().
  const Status<E>& status() const& { return std::get<1>(v_); }
  Status<E> status() && { return std::get<1>(std::move(v_)); }
  E code() const { return status().code(); }
  const std::string& message() const { return status().message(); }

 private:
  std::variant<T, Status<E>> v_;
};

// Marks a deliberately ignored error; searchable.
template <class S>
void IgnoreError(const S&) {}

}  // namespace shoal

// Propagates a non-OK Status<E> of the same error type to the caller.
#define SHOAL_RETURN_IF_ERROR(expr)        \
  do {                                     \
    auto shoal_status_ = (expr);           \
    if (!shoal_status_.ok()) return shoal_status_; \
  } while (0)
